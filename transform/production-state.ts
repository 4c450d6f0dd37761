import type { PoolClient } from 'pg';

/**
 * What production's models hold, as one comparable record: the loads loaded (a new
 * load, or one replaced, changes it), the last refresh or build of a model (any fold,
 * promotion or build writes elt.refresh_log), every model's checksum, and the settings
 * the models are computed with. An environment records it when built (elt.environments
 * .built_from); `elt promote` refuses when production's is no longer that one. Each part
 * is a digest, so the record stays small whatever the number of loads.
 */
export interface ProductionState {
  loads: string;
  lastRefreshAt: string | null;
  models: string;
  settings: string | null;
}

export async function readProductionState(client: PoolClient): Promise<ProductionState> {
  const { rows } = await client.query<ProductionState>(
    `select
         (select md5(coalesce(string_agg(l.load_id::text, ',' order by l.load_id), ''))
            from raw.loads as l where l.status = 'loaded') as loads,
         (select max(r.refreshed_at)::text from elt.refresh_log as r) as "lastRefreshAt",
         (select md5(coalesce(string_agg(m.name || '=' || m.checksum, ',' order by m.name), ''))
            from elt.models as m) as models,
         elt.settings_fingerprint() as settings`,
  );
  return rows[0] as ProductionState;
}

/** What differs between two states, in words (empty: none): the reason a promotion is refused. */
export function productionMoves(then: ProductionState, now: ProductionState): string[] {
  const moves: string[] = [];
  if (then.loads !== now.loads) moves.push('loads were loaded or replaced');
  if (then.lastRefreshAt !== now.lastRefreshAt) moves.push('a refresh, build or promotion changed its models');
  if (then.models !== now.models) moves.push("its models' SQL changed");
  if (then.settings !== now.settings) moves.push('its settings changed');
  return moves;
}
