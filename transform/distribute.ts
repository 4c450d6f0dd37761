import type { PoolClient } from 'pg';
import { currentPlacement, hasCitus, placeTable, type Placement } from '../db/citus';
import type { Model } from './model-catalog';
import { MODEL_KINDS } from './model-kinds';

/** A model whose kind may be laid out over the workers (transform/model-kinds.ts: the incremental tables). */
const distributable = (model: Model): boolean => MODEL_KINDS[model.materialized].citus === 'distributable';

/**
 * Which model tables are distributed on a Citus cluster, derived from the models' own
 * headers (docs/guides/citus.md): what grows with history per event or session, and is
 * recomputed by a key, is spread over the workers on that key, together with what it is
 * recomputed from.
 *
 * - An intermediate model incremental by a key (`incremental_by: session_id`) is
 *   distributed on that key: its rows are recomputed key by key, and its query (the
 *   sessions' windows, partitioned by user and session id) then runs on each worker
 *   alone, for the keys that worker holds.
 * - Each of its intermediate inputs (`incremental_from: intermediate.int_events`) is
 *   distributed on the column that holds the key there, co-located with it: a session's
 *   events and the session sit on one node, and its recompute moves no row between nodes.
 * - Everything else stays on the coordinator: views, the marts (where analysts read them,
 *   small: a row per article, user or category and day) and the by-load aggregates they
 *   read (`int_*_days_by_load`, a row per load and article, user or category and day).
 *
 * Pure: the same models give the same layout; whether it applies is up to the database
 * (`distributeModel`).
 */
export function modelPlacements(models: Model[]): Map<string, Placement & { kind: 'distributed' }> {
  const byName = new Map(models.map((model) => [model.name, model]));
  const placements = new Map<string, Placement & { kind: 'distributed' }>();
  const isIntermediateIncremental = (model: Model | undefined): model is Model =>
    model !== undefined && model.schema === 'intermediate' && distributable(model);
  for (const model of models) {
    if (!isIntermediateIncremental(model) || model.incrementalBy === undefined || model.incrementalBy === 'load_id') continue;
    let colocateWith: string | undefined;
    for (const input of model.inputs) {
      const upstream = byName.get(input.upstream);
      if (!isIntermediateIncremental(upstream)) continue;
      if (!placements.has(upstream.name)) placements.set(upstream.name, { kind: 'distributed', column: input.column });
      colocateWith ??= upstream.name;
    }
    placements.set(model.name, { kind: 'distributed', column: model.incrementalBy, ...(colocateWith ? { colocateWith } : {}) });
  }
  return placements;
}

/**
 * Distributes a model's table (just created, still empty) when the database has Citus
 * and `modelPlacements` names it; returns the distribution column then (its unique index
 * must contain it), else undefined.
 */
export async function distributeModel(
  client: PoolClient,
  model: Model,
  placement: (Placement & { kind: 'distributed' }) | undefined,
): Promise<string | undefined> {
  if (placement === undefined || !distributable(model) || !(await hasCitus(client))) return undefined;
  await placeTable(client, model.name, placement);
  return placement.column;
}

/**
 * The models whose table is laid out otherwise than `modelPlacements` says: on a Citus
 * database, a table that should be distributed and is a plain table (a single-node
 * database moved to a cluster), or the other way round. The build rebuilds them (with
 * what is downstream), so their unique index and their rows follow the layout. None
 * without Citus.
 */
export async function misplacedModels(client: PoolClient, models: Model[], placements: ReturnType<typeof modelPlacements>): Promise<string[]> {
  if (!(await hasCitus(client))) return [];
  const misplaced: string[] = [];
  for (const model of models.filter(distributable)) {
    const { rows } = await client.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [model.name]);
    if (!rows[0]?.exists) continue;
    const distributed = (await currentPlacement(client, model.name)) === 'distributed';
    if (distributed !== placements.has(model.name)) misplaced.push(model.name);
  }
  return misplaced;
}
