import type { Pool } from 'pg';
import { readModels } from './model-catalog';

export interface ObjectStatus {
  uri: string;
  /** the latest attempt's status */
  status: string;
  rows: number | null;
  rejects: number | null;
  finishedAt: string | null;
  error: string | null;
}

export interface MartStatus {
  name: string;
  rows: number | null;
  lastRefreshAt: string | null;
  /** raw data was loaded after the mart's last refresh */
  stale: boolean;
  /** the mart is a model but its relation is not in the database (dropped by hand): neither fresh nor stale, `elt build` recreates it */
  missing: boolean;
}

export interface Status {
  objects: ObjectStatus[];
  totals: { loaded: number; failed: number; duplicate: number; unfinished: number; rows: number; rejects: number; lastLoadAt: string | null };
  marts: MartStatus[];
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

/** What `elt status` shows: the ledger (latest attempt per object), each mart's size and freshness. */
export async function readStatus(pool: Pool, modelsDir: string): Promise<Status> {
  const { rows: latest } = await pool.query<{
    source_uri: string;
    status: string;
    row_count: string | null;
    reject_count: string | null;
    finished_at: Date | null;
    error: string | null;
  }>(
    `select distinct on (source_uri) source_uri, status, row_count, reject_count, finished_at, error
       from raw.loads
      where status <> 'replaced'
      order by source_uri, load_id desc`,
  );
  const { rows: loaded } = await pool.query<{ rows: string | null; rejects: string | null; last_load_at: Date | null }>(
    "select sum(row_count) as rows, sum(reject_count) as rejects, max(finished_at) as last_load_at from raw.loads where status = 'loaded'",
  );
  const objects: ObjectStatus[] = latest.map((row) => ({
    uri: row.source_uri,
    status: row.status,
    rows: row.row_count === null ? null : Number(row.row_count),
    rejects: row.reject_count === null ? null : Number(row.reject_count),
    finishedAt: iso(row.finished_at),
    error: row.error,
  }));
  const lastLoadAt = loaded[0]?.last_load_at ?? null;
  const marts: MartStatus[] = [];
  for (const mart of readModels(modelsDir).filter((model) => model.materialized === 'materialized_view')) {
    const { rows: exists } = await pool.query<{ present: boolean }>('select to_regclass($1) is not null as present', [mart.name]);
    const { rows: refreshed } = await pool.query<{ at: Date | null }>('select max(refreshed_at) as at from elt.refresh_log where model = $1', [
      mart.name,
    ]);
    const lastRefresh = refreshed[0]?.at ?? null;
    const missing = exists[0]?.present !== true;
    const count = missing ? null : Number((await pool.query<{ n: string }>(`select count(*) as n from ${mart.name}`)).rows[0]?.n ?? 0);
    marts.push({
      name: mart.name,
      rows: count,
      lastRefreshAt: iso(lastRefresh),
      stale: !missing && lastLoadAt !== null && (lastRefresh === null || lastLoadAt > lastRefresh),
      missing,
    });
  }
  return {
    objects,
    totals: {
      loaded: objects.filter((o) => o.status === 'loaded').length,
      failed: objects.filter((o) => o.status === 'failed').length,
      duplicate: objects.filter((o) => o.status === 'duplicate').length,
      unfinished: objects.filter((o) => o.status === 'loading' || o.status === 'abandoned').length,
      rows: Number(loaded[0]?.rows ?? 0),
      rejects: Number(loaded[0]?.rejects ?? 0),
      lastLoadAt: iso(lastLoadAt),
    },
    marts,
  };
}

const ISO_WIDTH = '2026-01-01T00:00:00.000Z'.length;

function freshness(mart: MartStatus): string {
  if (mart.missing) return 'MISSING: not in the database (run elt build)';
  return mart.stale ? 'STALE: raw data arrived after the last refresh (run elt refresh)' : 'yes';
}

/**
 * The status as a table for people. Every column but the last has a fixed or
 * computed width, and the one value of unbounded length (an object's URI) comes
 * last, so a deep path never pushes the other columns out of line.
 */
export function formatStatus(status: Status): string {
  const lines: string[] = [];
  const { totals } = status;
  lines.push(
    `lake objects: ${status.objects.length} (${totals.loaded} loaded, ${totals.failed} failed, ` +
      `${totals.duplicate ? `${totals.duplicate} duplicate, ` : ''}${totals.unfinished} unfinished); ` +
      `${totals.rows.toLocaleString('en-US')} rows, ${totals.rejects.toLocaleString('en-US')} rejected; last load ${totals.lastLoadAt ?? 'never'}`,
  );
  lines.push('');
  const rowsWidth = Math.max(10, ...status.objects.map((object) => String(object.rows ?? '-').length));
  const rejectsWidth = Math.max(8, ...status.objects.map((object) => String(object.rejects ?? '-').length));
  lines.push(`${'status'.padEnd(9)} ${'rows'.padStart(rowsWidth)} ${'rejects'.padStart(rejectsWidth)}  ${'finished'.padEnd(ISO_WIDTH)}  object`);
  for (const object of status.objects) {
    lines.push(
      `${object.status.padEnd(9)} ${String(object.rows ?? '-').padStart(rowsWidth)} ${String(object.rejects ?? '-').padStart(rejectsWidth)}  ` +
        `${(object.finishedAt ?? '-').padEnd(ISO_WIDTH)}  ${object.uri}` +
        (object.error ? `\n    ${object.error}` : ''),
    );
  }
  lines.push('');
  const nameWidth = Math.max(32, ...status.marts.map((mart) => mart.name.length));
  const martRowsWidth = Math.max(10, ...status.marts.map((mart) => String(mart.rows ?? 'missing').length));
  lines.push(`${'mart'.padEnd(nameWidth)} ${'rows'.padStart(martRowsWidth)}  ${'last refresh'.padEnd(ISO_WIDTH + 2)} fresh`);
  for (const mart of status.marts) {
    lines.push(
      `${mart.name.padEnd(nameWidth)} ${String(mart.rows ?? 'missing').padStart(martRowsWidth)}  ${(mart.lastRefreshAt ?? 'never').padEnd(ISO_WIDTH + 2)} ${freshness(mart)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
