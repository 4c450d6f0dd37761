import type { Pool } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { withLockRetries, type LockWaitOptions } from '../db/lock-wait';
import type { RefreshHow } from '../db/refresh-how';
import { isRefreshTarget, readModels, type Model } from './model-catalog';
import { MODEL_KINDS } from './model-kinds';

/** A model `refresh materialized view` brings up to date (the others a refresh updates, the engine does). */
const refreshedByRefresh = (model: Model): boolean => MODEL_KINDS[model.materialized].refresh === 'refresh-materialized-view';

export interface RefreshedMart {
  name: string;
  rows: number;
  ms: number;
  /** false when the mart was just built by this run and needed no refresh */
  refreshed: boolean;
}

/**
 * Brings the marts up to date through `call elt.refresh_marts(...)`, the
 * same procedure an analyst calls: the incremental marts by key (every one of
 * them, whatever `only` says: they share their inputs' changed keys), a project's
 * materialized views in build order, CONCURRENTLY once populated (readers are
 * never blocked either way), serialized with other refreshes and builds on the
 * refresh lock (a row of elt.locks, which only the project's roles can take; the
 * procedure fails with a line naming it after lock_timeout, 120 s when unset).
 * The call runs with a short lock_timeout and is tried again while a reader's open
 * transaction holds a lock it needs (a plain refresh, a truncate), up to
 * `lockWait.limitSeconds` (db/lock-wait.ts).
 * `only` limits it to some marts; marts in `alreadyFresh` (built moments ago) are
 * only counted.
 */
export async function refreshMarts(
  pool: Pool,
  options: { dir: string; log: Logger; alreadyFresh?: Set<string>; only?: string[]; lockWait?: LockWaitOptions },
): Promise<RefreshedMart[]> {
  const marts = readModels(options.dir).filter(isRefreshTarget);
  const known = new Set(marts.map((mart) => mart.name));
  for (const name of options.only ?? []) {
    if (!known.has(name)) throw new EltError(`no mart named ${name} (marts: ${[...known].join(', ')})`, ExitCode.usage);
  }
  const selected = marts.filter((mart) => !options.only || options.only.includes(mart.name));
  // the incremental marts are brought up to date with the other incremental models, by key
  const toRefresh = selected.filter((mart) => refreshedByRefresh(mart) && !options.alreadyFresh?.has(mart.name)).map((mart) => mart.name);
  const { rows: missing } = await pool.query<{ name: string }>(
    'select name from unnest($1::text[]) as mart (name) where to_regclass(name) is null order by name',
    [selected.map((mart) => mart.name)],
  );
  if (missing.length > 0) {
    const names = missing.map((row) => row.name).join(', ');
    throw new EltError(
      missing.length === selected.length
        ? `no marts built yet (${names} do not exist): run elt build first`
        : `${names} not built yet: run elt build first`,
      ExitCode.modelFailed,
    );
  }
  const { rows: clock } = await pool.query<{ now: Date }>('select clock_timestamp() as now');
  try {
    // even with no mart to refresh, the call brings the incremental models up to date;
    // its strong locks (a plain refresh, a by-load table recomputed: truncate) wait briefly, then the whole call again
    await withLockRetries(
      pool,
      'elt refresh',
      async (arm) => {
        const client = await pool.connect();
        let broken: Error | undefined;
        // a session the server ends while we hold it: pg emits 'error' on the client (the query fails too)
        const onClientError = (err: Error) => (broken = err);
        client.on('error', onClientError);
        try {
          await client.query('begin');
          await arm(client);
          await client.query('call elt.refresh_marts($1)', [toRefresh]);
          await client.query('commit');
        } catch (err) {
          await client.query('rollback').catch((rollbackFailed: Error) => (broken = rollbackFailed));
          throw err;
        } finally {
          client.off('error', onClientError);
          client.release(broken);
        }
      },
      { log: options.log, ...options.lockWait },
    );
  } catch (err) {
    if (err instanceof EltError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new EltError(`refreshing the marts failed: ${message}`, ExitCode.modelFailed, { cause: err });
  }
  const { rows: logged } = await pool.query<{ model: string; duration_ms: string; how: RefreshHow }>(
    'select model, duration_ms, how from elt.refresh_log where refreshed_at >= $1 and how <> $2 order by refreshed_at',
    [clock[0]?.now, 'built' satisfies RefreshHow],
  );
  for (const entry of logged.filter((row) => row.how === 'incremental' || row.how === 'recomputed')) {
    options.log.info(
      `${entry.how === 'incremental' ? 'brought' : 'recomputed'} ${entry.model} ${entry.how === 'incremental' ? 'up to date ' : ''}in ${Math.round(Number(entry.duration_ms))} ms`,
      { model: entry.model, how: entry.how, ms: Math.round(Number(entry.duration_ms)) },
    );
  }
  // an incremental mart's rows as the engine keeps them as it folds (a count(*) would read the whole mart: its cost grows with history)
  const { rows: kept } = await pool.query<{ name: string; row_count: string | null }>(
    'select name, row_count from elt_observe.models where name = any($1) and row_count is not null',
    [selected.filter((mart) => !refreshedByRefresh(mart)).map((mart) => mart.name)],
  );
  const results: RefreshedMart[] = [];
  for (const mart of selected) {
    const entry = logged.find((row) => row.model === mart.name);
    const keptCount = kept.find((row) => row.name === mart.name)?.row_count;
    const { rows: counted } =
      keptCount === undefined || keptCount === null
        ? await pool.query<{ count: string }>(`select count(*) as count from ${mart.name}`)
        : { rows: [{ count: keptCount }] };
    results.push({ name: mart.name, rows: Number(counted[0]?.count ?? 0), ms: Number(entry?.duration_ms ?? 0), refreshed: entry !== undefined });
    if (entry && refreshedByRefresh(mart))
      options.log.info(
        `refreshed ${mart.name} ${entry.how === 'concurrently' ? 'concurrently ' : ''}in ${Math.round(Number(entry.duration_ms))} ms`,
        {
          model: mart.name,
          how: entry.how,
          rows: Number(counted[0]?.count ?? 0),
          ms: Math.round(Number(entry.duration_ms)),
        },
      );
  }
  return results;
}
