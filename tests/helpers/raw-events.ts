import type { Pool } from 'pg';

/** One lake row as a model test writes it: the five columns of the lake header. */
export interface LakeRow {
  ts: string;
  session: string;
  event: string;
  user: string;
  attributes: Record<string, unknown>;
}

/**
 * Writes rows straight into raw.raw_events the way the loader stores them
 * (one JSON document keyed by the header, under one ledger row), so model
 * tests can state their input row by row without going through a file.
 */
export async function insertRawEvents(pool: Pool, rows: LakeRow[], uri = 'test://model-fixture'): Promise<void> {
  const { rows: ledger } = await pool.query<{ load_id: string }>(
    "insert into raw.loads (source_uri, content_id, status, row_count, reject_count) values ($1, 'fixture', 'loaded', $2, 0) returning load_id",
    [`${uri}/${Date.now()}-${Math.random()}`, rows.length],
  );
  const loadId = ledger[0]?.load_id;
  await pool.query(
    `insert into raw.raw_events (load_id, line_no, event)
     select $1, line_no, event from unnest($2::int[], $3::jsonb[]) as r (line_no, event)`,
    [
      loadId,
      rows.map((_, index) => index + 2),
      rows.map((row) =>
        JSON.stringify({
          TIMESTAMP: row.ts,
          'MD5(SESSION_ID)': row.session,
          EVENT_NAME: row.event,
          'MD5(USER_ID)': row.user,
          ATTRIBUTES: row.attributes,
        }),
      ),
    ],
  );
}

/** All rows of a relation as plain objects, ordered by the given columns; numerics stay exact strings. */
export async function selectAll(pool: Pool, relation: string, orderBy: string): Promise<Record<string, unknown>[]> {
  const { rows } = await pool.query(`select * from ${relation} order by ${orderBy}`);
  return rows;
}
