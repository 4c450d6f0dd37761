import type { Pool } from 'pg';

/** The lake header (docs/contract.md, section 1). */
export const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';

/** One valid data row; `tag` makes its session and article unique. */
export function row(tag: string, ts = '2019-02-15 03:07:03.662 +0000'): string {
  return `${ts}\ts-${tag}\ttop_news_card_viewed\tu-${tag}\t{"id":"a-${tag}","category":"news","title":"t ${tag}"}`;
}

/** A lake object: the header, `good` valid rows and `bad` rows the spec rejects (bad timestamps), in that order. */
export function lakeText(tag: string, good: number, bad = 0): string {
  const lines = [HEADER];
  for (let i = 0; i < good; i += 1) lines.push(row(`${tag}-${i}`));
  for (let i = 0; i < bad; i += 1) lines.push(`not-a-time\ts\tx\tu\t{}`);
  return `${lines.join('\n')}\n`;
}

export interface LedgerRow {
  load_id: string;
  source_uri: string;
  status: string;
  row_count: string | null;
  reject_count: string | null;
  error: string | null;
  backend_pid: number | null;
}

/** The ledger rows of the URIs under `prefix` (all when omitted), oldest first. */
export async function ledger(pool: Pool, prefix = ''): Promise<LedgerRow[]> {
  const { rows } = await pool.query<LedgerRow>(
    `select load_id, source_uri, status, row_count, reject_count, error, backend_pid
       from raw.loads where starts_with(source_uri, $1) order by load_id`,
    [prefix],
  );
  return rows;
}

/** How many raw.raw_events rows each URI has (across all its loads, whatever their status). */
export async function rawRowsByUri(pool: Pool, prefix = ''): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ source_uri: string; n: number }>(
    `select l.source_uri, count(*)::int as n from raw.raw_events e join raw.loads l using (load_id)
      where starts_with(l.source_uri, $1) group by l.source_uri order by l.source_uri`,
    [prefix],
  );
  return Object.fromEntries(rows.map((r) => [r.source_uri, r.n]));
}

/** Rows of raw.raw_events whose load_id has no ledger row at all, or whose ledger row is not 'loaded'. */
export async function orphanRawRows(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from raw.raw_events e
      where not exists (select 1 from raw.loads l where l.load_id = e.load_id and l.status = 'loaded')`,
  );
  return rows[0]?.n ?? -1;
}
