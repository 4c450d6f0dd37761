import type { Pool, PoolClient } from 'pg';
import { describeError, EltError, ExitCode } from '../core/errors';
import { MODEL_SCHEMAS, type Model } from './model-catalog';
import type { ModelKindName } from './model-kinds';
import { readDependents } from './relation-dependents';
import { storedSourceView } from './source-views';

/**
 * A model the database has (a row of elt.models) whose file is no longer in the models
 * folder: a file moved away, a `git stash -u`, an image built from an older checkout.
 * As dbt does, an orphan is left as it is and reported; only `elt build --prune` or
 * `--drop-orphan <model>` drops it (transform/build-models.ts).
 */
export interface OrphanedModel {
  name: string;
  materialized: ModelKindName;
  /** its relation is in the database (false: dropped by hand, only its elt.models row is left) */
  present: boolean;
}

/** The orphans: elt.models rows that no model of `models` has, in build order (through elt_observe.models: a reader's elt status lists them too). */
export async function readOrphans(db: Pool | PoolClient, models: Model[]): Promise<OrphanedModel[]> {
  const { rows } = await db.query<OrphanedModel>(
    `select name, materialized, present
       from elt_observe.models
      where not name = any($1::text[])
      order by build_order, name`,
    [models.map((model) => model.name)],
  );
  return rows;
}

/** What a build is asked to drop: every orphan (`--prune`), or the orphans named (`--drop-orphan <model>`). */
export type PruneRequest = 'all' | string[];

/**
 * The orphans `request` names, in build order: `all`, or each name as `--select` takes
 * it (`marts.x` or `x`). A name that is no orphan (a model with a file, a relation the
 * build did not make, a typo) is a usage error: nothing but an orphan is ever dropped.
 */
export function chooseOrphans(orphans: OrphanedModel[], request: PruneRequest | undefined): OrphanedModel[] {
  if (request === undefined) return [];
  if (request === 'all') return orphans;
  const chosen = new Set<string>();
  for (const name of request) {
    const matches = orphans.filter((orphan) => orphan.name === name || orphan.name.split('.')[1] === name);
    if (matches.length !== 1) {
      const known = orphans.length ? orphans.map((orphan) => orphan.name).join(', ') : 'none';
      const why = matches.length > 1 ? 'names more than one orphaned model, write <schema>.<model>' : 'is not an orphaned model';
      throw new EltError(`--drop-orphan ${name}: ${why} (orphaned models: ${known})`, ExitCode.usage);
    }
    chosen.add((matches[0] as OrphanedModel).name);
  }
  return orphans.filter((orphan) => chosen.has(orphan.name));
}

const MODEL_RELATION = new RegExp(`^(${MODEL_SCHEMAS.join('|')})\\.[a-z_][a-z0-9_]*$`);

const quoteName = (name: string): string =>
  name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');

/**
 * Drops the orphans `chosen` (dependents first, never with CASCADE): each relation, the
 * source view of an incremental one, and its rows of elt.models, elt.model_inputs and
 * elt.folded_loads. A view or materialized view that reads one of them and is not
 * being dropped with it (another orphan, or an object the build did not make) fails
 * the build naming it, before anything is dropped. Returns the names dropped.
 */
export async function dropOrphans(client: PoolClient, chosen: OrphanedModel[], orphans: OrphanedModel[]): Promise<string[]> {
  if (chosen.length === 0) return [];
  const names = chosen.map((orphan) => orphan.name).reverse();
  // only what a build can have made: a row of elt.models naming anything else (raw.loads, ...) is never dropped
  const foreign = names.filter((name) => !MODEL_RELATION.test(name));
  if (foreign.length > 0) {
    throw new EltError(
      `elt.models names ${foreign.join(', ')}, which no model can be (not <${MODEL_SCHEMAS.join('|')}>.<lower-case name>): nothing was dropped`,
      ExitCode.modelFailed,
    );
  }
  const { rows: sources } = await client.query<{ name: string; source_view: string }>(
    'select name, source_view from elt.models where name = any($1::text[]) and source_view is not null',
    [[...new Set([...names, ...orphans.map((orphan) => orphan.name)])]],
  );
  // a source view is always named by the convention (this layout's or the one before): a row naming another relation is not followed
  for (const row of sources) row.source_view = storedSourceView(row.name, row.source_view);
  const modelOf = (relation: string) => sources.find((row) => row.source_view === relation)?.name ?? relation;
  const chosenSources = sources.filter((row) => names.includes(row.name)).map((row) => row.source_view);
  const [blocker] = await readDependents(client, [...names, ...chosenSources]);
  if (blocker) {
    const target = modelOf(blocker.relation);
    const reader = modelOf(blocker.dependent);
    const why = orphans.some((orphan) => orphan.name === reader)
      ? `the orphaned model ${reader} reads it: drop both (elt build --drop-orphan ${reader} --drop-orphan ${target}, or --prune)`
      : `${reader} (not a model) reads it: drop or change it first (the build never drops what it did not make)`;
    throw new EltError(`cannot drop the orphaned model ${target}: ${why}`, ExitCode.modelFailed);
  }
  for (const name of names) {
    const { rows } = await client.query<{ kind: string | null }>(
      "select case c.relkind when 'm' then 'materialized view' when 'r' then 'table' when 'p' then 'table' when 'v' then 'view' end as kind from pg_class as c where c.oid = to_regclass($1)",
      [name],
    );
    const source = sources.find((row) => row.name === name)?.source_view;
    try {
      if (rows[0]?.kind) await client.query(`drop ${rows[0].kind} ${quoteName(name)}`);
      if (source) await client.query(`drop view if exists ${quoteName(source)}`);
    } catch (err) {
      throw new EltError(`cannot drop the orphaned model ${name}: ${describeError(err)}`, ExitCode.modelFailed, { cause: err });
    }
    await client.query('delete from elt.folded_loads where model = $1', [name]);
    await client.query('delete from elt.model_inputs where model = $1', [name]);
    await client.query('delete from elt.models where name = $1', [name]);
  }
  return names;
}
