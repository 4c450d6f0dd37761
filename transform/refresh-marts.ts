import type { Pool } from 'pg';
import { EltError, ExitCode } from '../cli/errors';
import type { Logger } from '../cli/log';
import { withLockedTransaction } from '../db/locked-transaction';
import { readModels } from './model-catalog';

export interface RefreshedMart {
  name: string;
  rows: number;
  ms: number;
  /** false when the mart was just built by this run and needed no refresh */
  refreshed: boolean;
}

/**
 * Refreshes the materialized models in dependency order, CONCURRENTLY when the
 * view is populated (readers are never blocked), plainly when it is still empty.
 * Refreshes serialize on an advisory lock, so two at once wait instead of failing.
 * Models in `alreadyFresh` (built moments ago) are only counted.
 */
export async function refreshMarts(
  pool: Pool,
  options: { dir: string; log: Logger; alreadyFresh?: Set<string> },
): Promise<RefreshedMart[]> {
  const marts = readModels(options.dir).filter((model) => model.materialized === 'materialized_view');
  return withLockedTransaction(pool, 'clickstream-elt:refresh', async (client) => {
    const results: RefreshedMart[] = [];
    for (const mart of marts) {
      const started = performance.now();
      const { rows } = await client.query<{ populated: boolean | null }>(
        `select c.relispopulated as populated from pg_class c where c.oid = to_regclass($1)`,
        [mart.name],
      );
      const state = rows[0];
      if (!state) {
        throw new EltError(`mart ${mart.name} does not exist yet: run "elt build" first`, ExitCode.modelFailed);
      }
      const refresh = !options.alreadyFresh?.has(mart.name);
      if (refresh) {
        try {
          await client.query(`refresh materialized view ${state.populated ? 'concurrently ' : ''}${mart.name}`);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          throw new EltError(`refreshing ${mart.name} failed: ${message}`, ExitCode.modelFailed, { cause: err });
        }
      }
      const { rows: counted } = await client.query<{ count: string }>(`select count(*) as count from ${mart.name}`);
      const ms = performance.now() - started;
      results.push({ name: mart.name, rows: Number(counted[0]?.count ?? 0), ms, refreshed: refresh });
      if (refresh) options.log.info(`refreshed ${mart.name} in ${Math.round(ms)} ms`);
    }
    return results;
  });
}
