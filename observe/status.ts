import type { Pool } from 'pg';
import { formatTextTable } from '../core/text-table';
import { formatFreshness, freshnessThresholds, readFreshness, type Freshness } from './freshness';
import { isRefreshTarget, readModels } from '../transform/model-catalog';
import { readOrphans, type OrphanedModel } from '../transform/orphaned-models';
import { relationOidSql } from '../db/relation-by-name';
import { readEnvironments, type Environment } from '../transform/environments';
import { formatEnvironments } from './format-environments';

export interface ObjectStatus {
  uri: string;
  /** the latest attempt's status */
  status: string;
  rows: number | null;
  rejects: number | null;
  finishedAt: string | null;
  error: string | null;
  /** a failed object acknowledged (`elt status --ack <uri>`: its file is gone from the lake): it needs no attention */
  acknowledgedAt: string | null;
}

export interface MartStatus {
  name: string;
  rows: number | null;
  lastRefreshAt: string | null;
  /** raw data was loaded after the mart's last refresh */
  stale: boolean;
  /** the mart is a model but its relation is not in the database (dropped by hand): neither fresh nor stale, `elt build` recreates it */
  missing: boolean;
  /** missing, and expected: it was built once or data was loaded (a fresh database where nothing ran yet needs no attention) */
  missingAfterData: boolean;
}

/** A message stream's place in the ledger (each committed batch is a load of its own). */
export interface StreamStatus {
  uri: string;
  /** the stream and its creation time: what the position belongs to */
  streamId: string;
  /** the last stream sequence committed: the consumer resumes after it */
  position: number;
  /** messages in the stream past the position (the broker's last sequence minus it); null when the broker was not asked or did not answer */
  lag: number | null;
  batches: number;
  rows: number;
  rejects: number;
  lastBatch: { firstSeq: number; lastSeq: number; rows: number; finishedAt: string | null };
}

export interface Status {
  objects: ObjectStatus[];
  streams: StreamStatus[];
  freshness: Freshness;
  totals: {
    loaded: number;
    /** failed and not acknowledged */
    failed: number;
    acknowledged: number;
    duplicate: number;
    unfinished: number;
    rows: number;
    rejects: number;
    lastLoadAt: string | null;
    lastRefreshAt: string | null;
  };
  marts: MartStatus[];
  /** what needs attention, one phrase each ("1 failed object", "2 stale marts"); empty: nothing (exit 0) */
  attention: string[];
  /** models the database has whose files are gone: kept until `elt build --prune` (transform/orphaned-models.ts) */
  orphans: OrphanedModel[];
  /** the environments (elt build --env), with their age and size; empty for a login that may not read their record */
  environments: Environment[];
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

/** How far behind the ledger a stream is: asked of the broker (by the CLI, which knows how to reach it). */
export type StreamLag = (uri: string, position: number) => Promise<number | null>;

/** The streams' positions, batches and last batch, from the ledger; the lag from `lagOf` when given. */
async function readStreams(pool: Pool, lagOf?: StreamLag): Promise<StreamStatus[]> {
  const { rows } = await pool.query<{
    stream_id: string;
    uri: string;
    position: string;
    batches: string;
    rows: string | null;
    rejects: string | null;
    last_first: string;
    last_last: string;
    last_rows: string | null;
    last_at: Date | null;
  }>(
    `select s.stream_id, s.uri, s.position, s.batches, s.rows, s.rejects,
            l.stream_first_seq as last_first, l.stream_last_seq as last_last, l.row_count as last_rows, l.finished_at as last_at
       from (select stream_id, max(source_uri) as uri, max(stream_last_seq) as position, count(*) as batches,
                    sum(row_count) as rows, sum(reject_count) as rejects
               from elt_observe.loads where stream_id is not null and status = 'loaded' group by stream_id) as s
       join elt_observe.loads as l on l.stream_id = s.stream_id and l.stream_last_seq = s.position and l.status = 'loaded'
      order by s.uri, s.stream_id`,
  );
  const streams: StreamStatus[] = [];
  for (const row of rows) {
    const position = Number(row.position);
    streams.push({
      uri: row.uri,
      streamId: row.stream_id,
      position,
      lag: lagOf ? await lagOf(row.uri, position).catch(() => null) : null,
      batches: Number(row.batches),
      rows: Number(row.rows ?? 0),
      rejects: Number(row.rejects ?? 0),
      lastBatch: { firstSeq: Number(row.last_first), lastSeq: Number(row.last_last), rows: Number(row.last_rows ?? 0), finishedAt: iso(row.last_at) },
    });
  }
  return streams;
}

/**
 * What `elt status` shows, to the owner and to every role of the project alike (it reads the
 * views of elt_observe, never raw rows): the ledger (latest attempt per lake object; streams by
 * their position), each mart's size and freshness, and each source's freshness
 * (the figures of `elt freshness`, with its default thresholds).
 */
export async function readStatus(pool: Pool, modelsDir: string, options: { lagOf?: StreamLag } = {}): Promise<Status> {
  const { rows: latest } = await pool.query<{
    source_uri: string;
    status: string;
    row_count: string | null;
    reject_count: string | null;
    finished_at: Date | null;
    error: string | null;
    acknowledged_at: Date | null;
  }>(
    `select distinct on (source_uri) source_uri, status, row_count, reject_count, finished_at, error, acknowledged_at
       from elt_observe.loads
      where status <> 'replaced' and stream_id is null
      order by source_uri, load_id desc`,
  );
  const { rows: loaded } = await pool.query<{ rows: string | null; rejects: string | null; last_load_at: Date | null }>(
    "select sum(row_count) as rows, sum(reject_count) as rejects, max(finished_at) as last_load_at from elt_observe.loads where status = 'loaded'",
  );
  const objects: ObjectStatus[] = latest.map((row) => ({
    uri: row.source_uri,
    status: row.status,
    rows: row.row_count === null ? null : Number(row.row_count),
    rejects: row.reject_count === null ? null : Number(row.reject_count),
    finishedAt: iso(row.finished_at),
    error: row.error,
    acknowledgedAt: iso(row.acknowledged_at),
  }));
  const lastLoadAt = loaded[0]?.last_load_at ?? null;
  const marts: MartStatus[] = [];
  const models = readModels(modelsDir);
  const { rows: built } = await pool.query<{ name: string }>('select name from elt_observe.models');
  const wasBuilt = new Set(built.map((row) => row.name));
  for (const mart of models.filter(isRefreshTarget)) {
    const { rows: exists } = await pool.query<{ present: boolean }>(`select ${relationOidSql(1)} is not null as present`, [mart.name]);
    const { rows: refreshed } = await pool.query<{ at: Date | null }>(
      'select max(refreshed_at) as at from elt_observe.refresh_log where model = $1',
      [mart.name],
    );
    const lastRefresh = refreshed[0]?.at ?? null;
    const missing = exists[0]?.present !== true;
    const count = missing ? null : Number((await pool.query<{ n: string }>(`select count(*) as n from ${mart.name}`)).rows[0]?.n ?? 0);
    marts.push({
      name: mart.name,
      rows: count,
      lastRefreshAt: iso(lastRefresh),
      stale: !missing && lastLoadAt !== null && (lastRefresh === null || lastLoadAt > lastRefresh),
      missing,
      missingAfterData: missing && (lastLoadAt !== null || wasBuilt.has(mart.name)),
    });
  }
  const failed = (object: ObjectStatus) => object.status === 'failed' && object.acknowledgedAt === null;
  const totals = {
    loaded: objects.filter((o) => o.status === 'loaded').length,
    failed: objects.filter(failed).length,
    acknowledged: objects.filter((o) => o.status === 'failed' && o.acknowledgedAt !== null).length,
    duplicate: objects.filter((o) => o.status === 'duplicate').length,
    unfinished: objects.filter((o) => o.status === 'loading' || o.status === 'abandoned').length,
    rows: Number(loaded[0]?.rows ?? 0),
    rejects: Number(loaded[0]?.rejects ?? 0),
    lastLoadAt: iso(lastLoadAt),
    lastRefreshAt: marts
      .map((mart) => mart.lastRefreshAt)
      .reduce<string | null>((last, at) => (at !== null && (last === null || at > last) ? at : last), null),
  };
  return {
    objects,
    streams: await readStreams(pool, options.lagOf),
    freshness: await readFreshness(pool, modelsDir, freshnessThresholds({})),
    totals,
    marts,
    attention: attentionOf(totals, marts),
    orphans: await readOrphans(pool, models),
    environments: await readEnvironments(pool).catch((err: unknown) => {
      // insufficient_privilege: a reader's login is not told of the environments
      if ((err as { code?: unknown }).code === '42501') return [];
      throw err;
    }),
  };
}

const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** What a monitor is told to look at: failed (not acknowledged) and unfinished objects, missing (once there is data) and stale marts. */
function attentionOf(totals: Status['totals'], marts: MartStatus[]): string[] {
  const missing = marts.filter((mart) => mart.missingAfterData).length;
  const stale = marts.filter((mart) => mart.stale).length;
  return [
    totals.failed ? counted(totals.failed, 'failed object') : '',
    totals.unfinished ? counted(totals.unfinished, 'unfinished object') : '',
    missing ? counted(missing, 'missing mart') : '',
    stale ? counted(stale, 'stale mart') : '',
  ].filter((phrase) => phrase !== '');
}

const ISO_WIDTH = '2026-01-01T00:00:00.000Z'.length;

function freshness(mart: MartStatus): string {
  if (mart.missing) return 'MISSING: not in the database (run elt build)';
  return mart.stale ? 'STALE: raw data arrived after the last refresh (run elt refresh)' : 'yes';
}

/** What an object's status reads as: a failure acknowledged reads `acked`. */
const objectState = (object: ObjectStatus) => (object.status === 'failed' && object.acknowledgedAt !== null ? 'acked' : object.status);

/**
 * The status for people: by default a digest (counts, the last load and refresh, what
 * needs attention and the objects and marts concerned, the streams, the freshness
 * verdict); `all` lists every object and mart. Every column but the last has a fixed or
 * computed width, and the one value of unbounded length (an object's URI) comes
 * last, so a deep path never pushes the other columns out of line.
 */
export function formatStatus(status: Status, options: { all?: boolean } = {}): string {
  const all = options.all === true;
  const lines: string[] = [];
  const { totals } = status;
  lines.push(
    `lake objects: ${status.objects.length} (${totals.loaded} loaded, ${totals.failed} failed, ` +
      `${totals.acknowledged ? `${totals.acknowledged} acknowledged, ` : ''}` +
      `${totals.duplicate ? `${totals.duplicate} duplicate, ` : ''}${totals.unfinished} unfinished); ` +
      `${totals.rows.toLocaleString('en-US')} rows, ${totals.rejects.toLocaleString('en-US')} rejected; ` +
      `last load ${totals.lastLoadAt ?? 'never'}; last refresh ${totals.lastRefreshAt ?? 'never'}`,
  );
  lines.push(status.attention.length ? `needs attention: ${status.attention.join(', ')}` : 'nothing needs attention');
  const needsLook = (object: ObjectStatus) =>
    (object.status === 'failed' && object.acknowledgedAt === null) || object.status === 'loading' || object.status === 'abandoned';
  const objects = all ? status.objects : status.objects.filter(needsLook);
  if (objects.length > 0) {
    lines.push('');
    const rowsWidth = Math.max(10, ...objects.map((object) => String(object.rows ?? '-').length));
    const rejectsWidth = Math.max(8, ...objects.map((object) => String(object.rejects ?? '-').length));
    lines.push(`${'status'.padEnd(9)} ${'rows'.padStart(rowsWidth)} ${'rejects'.padStart(rejectsWidth)}  ${'finished'.padEnd(ISO_WIDTH)}  object`);
    for (const object of objects) {
      lines.push(
        `${objectState(object).padEnd(9)} ${String(object.rows ?? '-').padStart(rowsWidth)} ${String(object.rejects ?? '-').padStart(rejectsWidth)}  ` +
          `${(object.finishedAt ?? '-').padEnd(ISO_WIDTH)}  ${object.uri}` +
          (object.error ? `\n    ${object.error}` : ''),
      );
    }
  }
  const marts = all ? status.marts : status.marts.filter((mart) => mart.missingAfterData || mart.stale);
  if (marts.length > 0) {
    lines.push('');
    const nameWidth = Math.max(32, ...marts.map((mart) => mart.name.length));
    const martRowsWidth = Math.max(10, ...marts.map((mart) => String(mart.rows ?? 'missing').length));
    lines.push(`${'mart'.padEnd(nameWidth)} ${'rows'.padStart(martRowsWidth)}  ${'last refresh'.padEnd(ISO_WIDTH + 2)} fresh`);
    for (const mart of marts) {
      lines.push(
        `${mart.name.padEnd(nameWidth)} ${String(mart.rows ?? 'missing').padStart(martRowsWidth)}  ${(mart.lastRefreshAt ?? 'never').padEnd(ISO_WIDTH + 2)} ${freshness(mart)}`,
      );
    }
  }
  if (status.orphans.length > 0) {
    lines.push('', 'orphaned models (their files are gone; kept until elt build --prune or --drop-orphan <model>):');
    const width = Math.max(...status.orphans.map((orphan) => orphan.name.length));
    for (const orphan of status.orphans) {
      lines.push(`  ${orphan.name.padEnd(width)}  ${orphan.materialized.padEnd(17)}  ${orphan.present ? 'kept' : 'not in the database'}`);
    }
  }
  if (status.environments.length > 0) {
    lines.push('', 'environments (elt env list, elt env drop <name>):', formatEnvironments(status.environments).trimEnd());
  }
  if (status.streams.length > 0) {
    const rows = status.streams.map((stream) => [
      String(stream.position),
      stream.lag === null ? 'unknown' : String(stream.lag),
      String(stream.batches),
      `${stream.lastBatch.firstSeq}..${stream.lastBatch.lastSeq}, ${stream.lastBatch.rows} rows, ${stream.lastBatch.finishedAt ?? '-'}`,
      stream.uri,
    ]);
    const align = ['right', 'right', 'right', 'left', 'left'] as const;
    lines.push('', formatTextTable(['position', 'lag', 'batches', 'last batch', 'stream'], rows, { align }).trimEnd());
  }
  if (all) {
    lines.push('', formatFreshness(status.freshness).trimEnd());
  } else {
    const count = (state: string) => status.freshness.sources.filter((source) => source.state === state).length;
    lines.push(
      '',
      `freshness: ${count('fresh')} fresh, ${count('warn')} warn, ${count('error')} error (elt freshness for each source); elt status --all for every object and mart`,
    );
  }
  return `${lines.join('\n')}\n`;
}
