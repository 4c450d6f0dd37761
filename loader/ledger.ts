import type { Pool, PoolClient } from 'pg';
import type { RejectedRow } from './to-copy-rows';

/** The ledger row of the content currently loaded for a URI, if any. */
export async function findLoaded(client: PoolClient, uri: string): Promise<{ loadId: string; contentId: string } | undefined> {
  const { rows } = await client.query<{ load_id: string; content_id: string }>(
    "select load_id, content_id from raw.loads where source_uri = $1 and status = 'loaded'",
    [uri],
  );
  const row = rows[0];
  return row && { loadId: row.load_id, contentId: row.content_id };
}

export async function startLoad(client: PoolClient, object: { uri: string; contentId: string; size: number }): Promise<string> {
  const { rows } = await client.query<{ load_id: string }>(
    "insert into raw.loads (source_uri, content_id, size_bytes, status) values ($1, $2, $3, 'loading') returning load_id",
    [object.uri, object.contentId, object.size],
  );
  return (rows[0] as { load_id: string }).load_id;
}

/** Removes the rows of an earlier load of the same URI: new content replaces them. */
export async function replaceLoad(client: PoolClient, loadId: string): Promise<void> {
  await client.query('delete from raw.raw_events where load_id = $1', [loadId]);
  await client.query('delete from raw.rejected_rows where load_id = $1', [loadId]);
  await client.query("update raw.loads set status = 'replaced' where load_id = $1", [loadId]);
}

export async function finishLoad(
  client: PoolClient,
  loadId: string,
  counts: { rows: number; rejects: number; ms: number },
): Promise<void> {
  await client.query(
    `update raw.loads
        set status = 'loaded', row_count = $2, reject_count = $3,
            finished_at = clock_timestamp(), duration_ms = $4
      where load_id = $1`,
    [loadId, counts.rows, counts.rejects, counts.ms.toFixed(1)],
  );
}

/** Records a failed attempt, in its own transaction (the load's own was rolled back). */
export async function recordFailure(
  pool: Pool,
  object: { uri: string; contentId: string; size: number },
  error: string,
  ms: number,
): Promise<void> {
  await pool.query(
    `insert into raw.loads (source_uri, content_id, size_bytes, status, finished_at, duration_ms, error)
     values ($1, $2, $3, 'failed', clock_timestamp(), $4, $5)`,
    [object.uri, object.contentId, object.size, ms.toFixed(1), error],
  );
}

const REJECT_BATCH = 1000;

/** Writes rejected rows; the exact bytes are kept beside the text when text cannot hold them. */
export async function insertRejects(client: PoolClient, loadId: string, uri: string, rejects: RejectedRow[]): Promise<void> {
  for (let start = 0; start < rejects.length; start += REJECT_BATCH) {
    const batch = rejects.slice(start, start + REJECT_BATCH);
    await client.query(
      `insert into raw.rejected_rows (load_id, source_uri, line_no, raw_text, raw_bytes, reason)
       select $1, $2, line_no, raw_text, raw_bytes, reason
         from unnest($3::int[], $4::text[], $5::bytea[], $6::text[]) as r (line_no, raw_text, raw_bytes, reason)`,
      [
        loadId,
        uri,
        batch.map((row) => row.lineNo),
        // text cannot hold NUL; invalid UTF-8 is shown with replacement characters
        batch.map((row) => row.bytes.toString('utf8').replaceAll('\u0000', '\uFFFD')),
        batch.map((row) => (isLossless(row.bytes) ? null : row.bytes)),
        batch.map((row) => row.reason),
      ],
    );
  }
}

function isLossless(bytes: Buffer): boolean {
  return !bytes.includes(0) && Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}
