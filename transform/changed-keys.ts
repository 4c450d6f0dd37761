import type { Pool } from 'pg';
import type { Model } from './model-catalog';
import { MODEL_KINDS } from './model-kinds';

/** A column name from a model's header, quoted as an SQL identifier. */
const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The incremental models whose rows are recomputed by key (`incremental_by: <column>` other than load_id). */
export const isByKey = (model: Model): boolean =>
  MODEL_KINDS[model.materialized].incrementalInputs && model.incrementalBy !== undefined && model.incrementalBy !== 'load_id';

/** The incremental models whose rows are kept per load (`incremental_by: load_id`). */
export const isByLoad = (model: Model): boolean => MODEL_KINDS[model.materialized].incrementalInputs && model.incrementalBy === 'load_id';

/**
 * The query (no parameters but `$1`: the new loads' ids, bigint[]) of the keys of a by-key
 * model that those loads changed, the way the engine follows them
 * (db/procedures/apply_increments.sql): an input kept per load gives the key column of its
 * rows of the new loads, an input by key the key column of its rows whose own key those
 * loads changed, and so on up. Undefined when an input is neither (the keys cannot be
 * followed: test every row). Each step is a lookup by an indexed key, so its cost follows
 * the new loads, not the history.
 */
export function changedKeysQuery(model: Model, byName: ReadonlyMap<string, Model>, seen: ReadonlySet<string> = new Set()): string | undefined {
  if (!isByKey(model) || model.inputs.length === 0 || seen.has(model.name)) return undefined;
  const parts: string[] = [];
  for (const input of model.inputs) {
    const upstream = byName.get(input.upstream);
    if (upstream === undefined) return undefined;
    if (isByLoad(upstream)) {
      parts.push(`select ${ident(input.column)} as key from ${upstream.name} where load_id = any($1::bigint[])`);
      continue;
    }
    const upstreamKeys = changedKeysQuery(upstream, byName, new Set([...seen, model.name]));
    if (upstreamKeys === undefined) return undefined;
    parts.push(`select ${ident(input.column)} as key from ${upstream.name} where ${ident(upstream.incrementalBy ?? '')} in (${upstreamKeys})`);
  }
  return parts.join(' union ');
}

/** The new loads: those finished at or after `since` (a run's start). */
export async function loadsFinishedSince(pool: Pool, since: Date): Promise<string[]> {
  const { rows } = await pool.query<{ ids: string[] }>(
    'select array(select l.load_id::text from raw.loads as l where l.finished_at >= $1 order by l.load_id) as ids',
    [since],
  );
  return rows[0]?.ids ?? [];
}

/**
 * The keys (as text) of `model` that `loads` changed, with the SQL type of its key column
 * (to compare them as that type, so that a filter on them reaches the key's index), or
 * undefined when they cannot be followed (see changedKeysQuery).
 */
export async function changedKeys(
  pool: Pool,
  model: Model,
  byName: ReadonlyMap<string, Model>,
  loads: readonly string[],
): Promise<{ column: string; type: string; keys: string[] } | undefined> {
  const query = changedKeysQuery(model, byName);
  if (query === undefined || model.incrementalBy === undefined) return undefined;
  const { rows } = await pool.query<{ keys: string[]; type: string | null }>(
    `select array(select distinct key::text from (${query}) as changed where key is not null) as keys,
        (select format_type(a.atttypid, a.atttypmod) from pg_attribute as a
         where a.attrelid = to_regclass($2) and a.attname = $3 and not a.attisdropped) as type`,
    [loads, model.name, model.incrementalBy],
  );
  const type = rows[0]?.type;
  if (type === null || type === undefined) return undefined;
  return { column: model.incrementalBy, type, keys: rows[0]?.keys ?? [] };
}
