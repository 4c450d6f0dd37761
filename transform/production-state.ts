import type { PoolClient } from 'pg';

/**
 * What production's models hold, as one comparable record: the loads loaded (a new
 * load, or one replaced, changes it), the last refresh or build of a model (any fold,
 * promotion or build writes elt.refresh_log), every model's checksum, and the settings
 * the models are computed with. An environment records it when built (elt.environments
 * .built_from, as elt.create_environment() reads it); `elt promote` refuses when
 * production's is no longer that one. Each part is a digest, so the record stays small
 * whatever the number of loads.
 */
export interface ProductionState {
  loads: string;
  lastRefreshAt: string | null;
  models: string;
  settings: string | null;
}

/** Production's state now (elt.production_state(), db/procedures/production_state.sql: the owner's). */
export async function readProductionState(client: PoolClient): Promise<ProductionState> {
  const { rows } = await client.query<{ state: ProductionState }>('select elt.production_state() as state');
  return (rows[0] as { state: ProductionState }).state;
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
