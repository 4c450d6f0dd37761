import type { Pool } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import { parseDuration } from '../core/duration';
import { SETTINGS } from '../core/settings/declared-settings';
import { MODEL_KINDS } from '../transform/model-kinds';
import { currentPlacement } from '../db/citus';
import { readModels } from '../transform/model-catalog';
import { relationOidSql } from '../db/relation-by-name';

/**
 * Source freshness, in the spirit of dbt's `source freshness`: for each source (a lake
 * folder or prefix, or a message stream), the time since its last successful load and
 * since its newest event, against a warning and an error threshold.
 */

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export { parseDuration } from '../core/duration';

/** A duration for people: `3d 4h`, `26h 0m` is `1d 2h`, under a minute in seconds. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 60_000) return `${sign}${Math.floor(rest / 1000)}s`;
  const days = Math.floor(rest / UNIT_MS.d);
  rest -= days * UNIT_MS.d;
  const hours = Math.floor(rest / UNIT_MS.h);
  rest -= hours * UNIT_MS.h;
  const minutes = Math.floor(rest / UNIT_MS.m);
  const parts = days > 0 ? [`${days}d`, `${hours}h`] : hours > 0 ? [`${hours}h`, `${minutes}m`] : [`${minutes}m`];
  return `${sign}${parts.join(' ')}`;
}

/** Which age the thresholds judge: since the last successful load (default), or since the newest event. */
export type FreshnessMeasure = 'load' | 'event';

export interface FreshnessThresholds {
  warnAfter: string;
  errorAfter: string;
  warnAfterMs: number;
  errorAfterMs: number;
  by: FreshnessMeasure;
}

export const DEFAULT_WARN_AFTER = SETTINGS.warnAfter.default;
export const DEFAULT_ERROR_AFTER = SETTINGS.errorAfter.default;

export type FreshnessState = 'fresh' | 'warn' | 'error';

/**
 * The rule: an age up to and including the warning threshold is fresh; past it, a
 * warning; past the error threshold, an error. No age (never loaded, no event) is an error.
 */
export function freshnessState(ageMs: number | null, thresholds: Pick<FreshnessThresholds, 'warnAfterMs' | 'errorAfterMs'>): FreshnessState {
  if (ageMs === null) return 'error';
  if (ageMs > thresholds.errorAfterMs) return 'error';
  if (ageMs > thresholds.warnAfterMs) return 'warn';
  return 'fresh';
}

/**
 * The thresholds: the resolved --warn-after, --error-after and --by (flag, else the
 * project's `freshness` key: core/settings reads them), else their declared defaults.
 */
export function freshnessThresholds(values: { warnAfter?: string; errorAfter?: string; by?: string }): FreshnessThresholds {
  const warnAfter = values.warnAfter ?? DEFAULT_WARN_AFTER;
  const errorAfter = values.errorAfter ?? DEFAULT_ERROR_AFTER;
  const by = values.by ?? SETTINGS.freshnessBy.default;
  if (by !== 'load' && by !== 'event') throw new EltError(`--by must be load or event, not "${by}"`, ExitCode.usage);
  const warnAfterMs = parseDuration(warnAfter, '--warn-after');
  const errorAfterMs = parseDuration(errorAfter, '--error-after');
  if (warnAfterMs > errorAfterMs) {
    throw new EltError(
      `--warn-after ${warnAfter} is longer than --error-after ${errorAfter}: a source would be an error before it is a warning`,
      ExitCode.usage,
    );
  }
  return { warnAfter, errorAfter, warnAfterMs, errorAfterMs, by };
}

export interface SourceFreshness {
  /** a lake folder or prefix (the objects' URI without its last segment), or a stream URI */
  source: string;
  kind: 'lake' | 'stream';
  /** successful loads (files, or stream batches) and their rows */
  loads: number;
  rows: number;
  /** failed attempts after the last successful load */
  failuresSince: number;
  lastLoadAt: string | null;
  newestEventAt: string | null;
  /** now - lastLoadAt */
  loadAgeMs: number | null;
  /** now - newestEventAt */
  eventLagMs: number | null;
  state: FreshnessState;
}

export interface Freshness {
  checkedAt: string;
  thresholds: FreshnessThresholds;
  /** the model column the newest event is read from (null: no model has load_id and a timestamptz column) */
  eventTime: { relation: string; column: string } | null;
  sources: SourceFreshness[];
  /** the worst state of any source; error when nothing was ever loaded */
  state: FreshnessState;
}

/**
 * The model column that holds an event's time: in the first model (intermediate ones,
 * then staging) that has a `load_id` column, its `event_at` column, else its first
 * timestamptz column. Tables come first: a staging view re-parses every raw event.
 */
async function findEventTime(pool: Pool, modelsDir: string): Promise<{ relation: string; column: string } | null> {
  const models = readModels(modelsDir).filter((model) => model.schema !== 'marts');
  const rank = (model: (typeof models)[number]) =>
    (model.schema === 'intermediate' ? 0 : 2) + (MODEL_KINDS[model.materialized].fill === 'on-read' ? 1 : 0);
  models.sort((a, b) => rank(a) - rank(b));
  for (const model of models) {
    const { rows } = await pool.query<{ column: string | null }>(
      `with relation as (select ${relationOidSql(1)} as oid)
       select (select attname from pg_attribute, relation
                where attrelid = relation.oid and attnum > 0 and not attisdropped and atttypid = 'timestamptz'::regtype
                order by attname = 'event_at' desc, attnum limit 1) as column
        where exists (select from pg_attribute, relation where attrelid = relation.oid and attname = 'load_id' and not attisdropped)`,
      [model.name],
    );
    const column = rows[0]?.column;
    if (column) return { relation: model.name, column };
  }
  return null;
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);
const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * The newest event of a source's loads when the events are a table distributed over Citus
 * workers, which the lateral join with the coordinator's ledger cannot reach load by load:
 * the loads first, then one query over the shards (each probes its (load_id, time) index).
 */
async function newestEventOnShards(pool: Pool, eventTime: { relation: string; column: string }, source: string) {
  const { rows: loads } = await pool.query<{ load_id: string }>(`select load_id from elt_observe.loads where status = 'loaded' and source = $1`, [
    source,
  ]);
  return pool.query<{ at: Date | null }>(
    `select max(events.${quoteIdent(eventTime.column)}) as at from ${eventTime.relation} as events where events.load_id = any($1::bigint[])`,
    [loads.map((load) => load.load_id)],
  );
}

/**
 * Each source's freshness, read from the ledger (elt_observe.loads: every role of the project
 * may read it) and the newest event of its loaded rows (elt_observe.newest_event_at(): the
 * same figure for a reader, who may not read the event model, as for the owner).
 */
export async function readFreshness(pool: Pool, modelsDir: string, thresholds: FreshnessThresholds): Promise<Freshness> {
  const { rows: clock } = await pool.query<{ now: Date }>('select now() as now');
  const now = (clock[0] as { now: Date }).now;
  const eventTime = await findEventTime(pool, modelsDir);
  const { rows } = await pool.query<{
    source: string;
    stream: boolean;
    loads: string;
    rows: string | null;
    last_load_at: Date | null;
    failures_since: string;
  }>(
    `with loads as (select * from elt_observe.loads),
          last_loaded as (select source, max(finished_at) filter (where status = 'loaded') as at from loads group by source)
     select loads.source,
            bool_or(loads.stream_id is not null or loads.source_uri like 'nats://%') as stream,
            count(*) filter (where loads.status = 'loaded') as loads,
            sum(loads.row_count) filter (where loads.status = 'loaded') as rows,
            last_loaded.at as last_load_at,
            count(*) filter (where loads.status = 'failed' and (last_loaded.at is null or loads.started_at > last_loaded.at)) as failures_since
       from loads join last_loaded using (source)
      group by loads.source, last_loaded.at
      order by loads.source`,
  );
  const sources: SourceFreshness[] = [];
  for (const row of rows) {
    let newest: Date | null = null;
    if (eventTime) {
      const onShards = (await currentPlacement(pool, eventTime.relation)) === 'distributed';
      const { rows: events } = onShards
        ? await newestEventOnShards(pool, eventTime, row.source)
        : await pool.query<{ at: Date | null }>('select elt_observe.newest_event_at($1, $2) as at', [eventTime.relation, row.source]);
      newest = events[0]?.at ?? null;
    }
    const lastLoad = row.last_load_at;
    const loadAgeMs = lastLoad ? now.getTime() - lastLoad.getTime() : null;
    const eventLagMs = newest ? now.getTime() - newest.getTime() : null;
    sources.push({
      source: row.source,
      kind: row.stream ? 'stream' : 'lake',
      loads: Number(row.loads),
      rows: Number(row.rows ?? 0),
      failuresSince: Number(row.failures_since),
      lastLoadAt: iso(lastLoad),
      newestEventAt: iso(newest),
      loadAgeMs,
      eventLagMs,
      state: freshnessState(thresholds.by === 'load' ? loadAgeMs : eventLagMs, thresholds),
    });
  }
  return { checkedAt: now.toISOString(), thresholds, eventTime, sources, state: worstState(sources) };
}

function worstState(sources: SourceFreshness[]): FreshnessState {
  if (sources.length === 0 || sources.some((source) => source.state === 'error')) return 'error';
  return sources.some((source) => source.state === 'warn') ? 'warn' : 'fresh';
}

const STATE_WORD: Record<FreshnessState, string> = { fresh: 'PASS', warn: 'WARN', error: 'ERROR' };

/** The age of a source as a cell: `2h 5m ago (2026-...)`, or `never`. */
const age = (ms: number | null, at: string | null): string => (ms === null || at === null ? 'never' : `${formatDuration(ms)} ago`);

/** One line per source (state, ages, when), then a one-line verdict; the URI last, as elt status does. */
export function formatFreshness(freshness: Freshness): string {
  const { thresholds } = freshness;
  const judged = thresholds.by === 'load' ? 'last load' : 'newest event';
  const lines = [
    `freshness at ${freshness.checkedAt}: by ${judged}, warn after ${thresholds.warnAfter}, error after ${thresholds.errorAfter}` +
      (freshness.eventTime
        ? `; events: ${freshness.eventTime.relation}.${freshness.eventTime.column}`
        : '; events: no model with load_id and a timestamptz column'),
    '',
  ];
  if (freshness.sources.length === 0) {
    lines.push('no source has been loaded yet (run elt load or elt run)');
  } else {
    const loadWidth = Math.max(9, ...freshness.sources.map((source) => age(source.loadAgeMs, source.lastLoadAt).length));
    const eventWidth = Math.max(12, ...freshness.sources.map((source) => age(source.eventLagMs, source.newestEventAt).length));
    lines.push(`${'state'.padEnd(6)} ${'last load'.padEnd(loadWidth)}  ${'newest event'.padEnd(eventWidth)}  ${'loads'.padStart(6)}  source`);
    for (const source of freshness.sources) {
      lines.push(
        `${STATE_WORD[source.state].padEnd(6)} ${age(source.loadAgeMs, source.lastLoadAt).padEnd(loadWidth)}  ` +
          `${age(source.eventLagMs, source.newestEventAt).padEnd(eventWidth)}  ${String(source.loads).padStart(6)}  ${source.source}` +
          (source.failuresSince > 0 ? `\n       ${source.failuresSince} failed attempt(s) since the last successful load` : ''),
      );
    }
  }
  const count = (state: FreshnessState) => freshness.sources.filter((source) => source.state === state).length;
  lines.push('');
  lines.push(`${count('fresh')} fresh, ${count('warn')} warn, ${count('error')} error`);
  return `${lines.join('\n')}\n`;
}
