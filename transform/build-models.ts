import type { Pool, PoolClient } from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';
import { EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { LOCKS } from '../db/lock-names';
import { alsoLock, withLockedTransaction } from '../db/locked-transaction';
import type { RefreshHow } from '../db/refresh-how';
import { uniqueIndexColumns } from '../db/citus';
import { withLockRetries, type LockWaitOptions } from '../db/lock-wait';
import { distributeModel, misplacedModels, modelPlacements } from './distribute';
import { MODEL_SCHEMAS, readModels, withDownstream, type Model } from './model-catalog';
import { MODEL_KINDS } from './model-kinds';
import { besideModel, besideName } from './beside-models';
import { excludedModels, selectModels } from './select-models';
import { keptOldSourceViewWarning, moveOldSourceViews } from './old-source-views';
import { chooseOrphans, dropOrphans, readOrphans, type OrphanedModel, type PruneRequest } from './orphaned-models';
import { readDependents } from './relation-dependents';
import { sourceViewComment, sourceViewOf, storedSourceView } from './source-views';
import { carryOverPrivileges, swapRelations, type RelationSwap } from './swap-relations';

export interface BuildResult {
  /** models (re)created, in build order */
  built: string[];
  /** models whose SQL and upstream were unchanged, left as they were */
  unchanged: string[];
  /** models whose files are no longer in the models folder: left as they are, each logged as a warning (transform/orphaned-models.ts) */
  orphaned: string[];
  /** orphans dropped because the build was asked to (`prune`), dependents first */
  pruned: string[];
  /** how long each built model took, in ms (the run artifact's figures) */
  builtMs?: Record<string, number>;
}

function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** A model's build time as a progress line says it: 0.05s, 15.7s. */
const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;

/** What Postgres calls a model's relation (`view`, `materialized view`, `table`). */
const relationKind = (model: Model): string => MODEL_KINDS[model.materialized].relation;

/**
 * Records a model in elt.models, the build's state (umzug's storage, see modelStorage).
 * `unfilled` (an incremental model about to be filled) marks its table as never filled
 * (settings_fingerprint NULL), so the engine computes it in full; otherwise what the
 * engine recorded is kept.
 */
export async function recordModel(client: PoolClient, model: Model, order: number, unfilled = false): Promise<void> {
  await client.query(
    `insert into elt.models (name, checksum, materialized, build_order, incremental_by, incremental_from, source_view, incremental_since)
     values ($1, $2, $3, $4, $5, $6, $7, $9)
     on conflict (name) do update
        set checksum = excluded.checksum, materialized = excluded.materialized,
            build_order = excluded.build_order, incremental_by = excluded.incremental_by,
            incremental_from = excluded.incremental_from, source_view = excluded.source_view,
            incremental_since = excluded.incremental_since,
            settings_fingerprint = case when $8 then null else elt.models.settings_fingerprint end,
            built_at = now()`,
    [
      model.name,
      model.checksum,
      model.materialized,
      order,
      model.incrementalBy ?? null,
      model.incrementalFrom ?? null,
      model.sourceView ?? null,
      unfilled,
      model.incrementalSince ?? null,
    ],
  );
  await client.query('delete from elt.model_inputs where model = $1', [model.name]);
  for (const input of model.inputs) {
    await client.query('insert into elt.model_inputs (model, upstream, upstream_column, upstream_since_column) values ($1, $2, $3, $4)', [
      model.name,
      input.upstream,
      input.column,
      input.sinceColumn ?? null,
    ]);
  }
}

async function forgetModel(client: PoolClient, name: string): Promise<void> {
  await client.query('delete from elt.model_inputs where model = $1', [name]);
  await client.query('delete from elt.models where name = $1', [name]);
}

/** The names of a model's indexes on `relation` (its own, or the one it is built as): its unique key's, if its kind indexes it, and each `-- index:` line's. */
export function indexNames(model: Model, relation: string): { unique?: string; plain: string[] } {
  const plain = model.indexes.map((_, position) => `${relation}_index_${position + 1}`);
  return MODEL_KINDS[model.materialized].keyIndex && model.uniqueKey.length > 0 ? { unique: `${relation}_unique_key`, plain } : { plain };
}

/**
 * Creates a model's relation beside production (`beside`, transform/beside-models.ts:
 * `<name>__new`, reading the models rebuilt with it beside production too) with the
 * statements its kind gives (transform/model-kinds.ts), its key and other indexes. An
 * incremental model's query becomes the view `beside.sourceView` (pg_depend then knows
 * what the table reads) and its table is created empty and filled by the engine itself
 * (`call elt.apply_increment`, the path every later refresh takes, on its elt.models row
 * `<name>__new`), before its indexes are built. Readers read production meanwhile; the
 * swap (swapRelations) puts it in place at the end.
 */
async function createModel(
  client: PoolClient,
  model: Model,
  beside: Model,
  order: number,
  placements: ReturnType<typeof modelPlacements>,
): Promise<void> {
  const kind = MODEL_KINDS[model.materialized];
  const relation = beside.relation;
  const name = quoteName(beside.name);
  const columns = (list: string[]) => list.map((column) => `"${column}"`).join(', ');
  const { rows } = await client.query<{ present: boolean }>('select to_regclass($1) is not null as present', [beside.name]);
  if (rows[0]?.present) {
    throw new EltError(
      `cannot build model ${model.name}: ${beside.name} exists and the build did not make it (a ${model.materialized} model is built there, then swapped in): drop or rename it`,
      ExitCode.modelFailed,
    );
  }
  for (const statement of kind.create({ relation: name, sourceView: quoteName(beside.sourceView ?? '') }, beside.sql)) {
    await client.query(statement);
  }
  if (beside.sourceView !== undefined) {
    await client.query(`comment on view ${quoteName(beside.sourceView)} is ${client.escapeLiteral(sourceViewComment(model.name))}`);
  }
  // on Citus, the tables that grow with history are spread over the workers (transform/distribute.ts)
  let distributedOn: string | undefined;
  if (kind.fill === 'by-engine') {
    const placement = placements.get(model.name);
    const colocateWith =
      placement?.colocateWith === undefined
        ? undefined
        : (beside.dependsOn.find((name) => name === besideName(placement.colocateWith as string)) ?? placement.colocateWith);
    distributedOn = await distributeModel(client, beside, placement && { ...placement, ...(colocateWith ? { colocateWith } : {}) });
    await recordModel(client, beside, order, true);
    await client.query('call elt.apply_increment($1)', [beside.name]);
  }
  const indexes = indexNames(model, relation);
  if (indexes.unique !== undefined) {
    await client.query(`create unique index "${indexes.unique}" on ${name} (${columns(uniqueIndexColumns(model.uniqueKey, distributedOn))})`);
  }
  for (const [position, index] of model.indexes.entries()) {
    await client.query(`create index "${indexes.plain[position]}" on ${name} (${columns(index)})`);
  }
  if (kind.relation === 'table') await client.query(`analyze ${name}`);
}

/** What the swap (transform/swap-relations.ts) puts in place of a model's relation: the one built beside it, with its indexes and source view. */
export function swapOf(model: Model, beside: Model, oldSourceView: string | null | undefined): RelationSwap {
  const built = indexNames(model, beside.relation);
  const final = indexNames(model, model.relation);
  const pairs = (from: typeof built, to: typeof final) => [
    ...(from.unique === undefined || to.unique === undefined ? [] : [{ builtAs: from.unique, name: to.unique }]),
    ...from.plain.map((index, position) => ({ builtAs: index, name: to.plain[position] as string })),
  ];
  return {
    name: model.name,
    builtAs: beside.name,
    kind: MODEL_KINDS[model.materialized].relation,
    indexes: pairs(built, final),
    // the old source view, and one left behind at the name the new one takes (its table dropped by hand)
    oldViews: [...new Set([...(oldSourceView ? [oldSourceView] : []), ...(beside.sourceView === undefined ? [] : [sourceViewOf(model.name)])])],
    ...(beside.sourceView === undefined ? {} : { newViews: [{ builtAs: beside.sourceView, name: sourceViewOf(model.name) }] }),
  };
}

/**
 * The engine's bookkeeping of the models `rebuilt` beside production, put in place of
 * production's in the build's transaction, just before the swap: the loads each rebuilt
 * incremental model folded (elt.folded_loads), its row of elt.models (the settings it was
 * computed with) and its refresh log, recorded under `<name>__new`, now under its name;
 * production's rows of those models go. The inputs are those logMigration recorded.
 */
export async function swapEngineState(client: PoolClient, rebuilt: Model[]): Promise<void> {
  const names = rebuilt.map((model) => model.name);
  const incremental = rebuilt.filter((model) => model.sourceView !== undefined);
  const pairs = [
    incremental.map((model) => besideName(model.name)),
    incremental.map((model) => model.name),
    incremental.map((model) => sourceViewOf(model.name)),
  ];
  await client.query('delete from elt.folded_loads where model = any($1)', [names]);
  await client.query('delete from elt.model_inputs where model = any($1)', [pairs[0]]);
  await client.query('delete from elt.models where name = any($1)', [pairs[1]]);
  const renamed = 'unnest($1::text[], $2::text[], $3::text[]) as r (beside, name, source_view)';
  await client.query(`update elt.models as m set name = r.name, source_view = r.source_view from ${renamed} where m.name = r.beside`, pairs);
  await client.query(`update elt.folded_loads as f set model = r.name from ${renamed} where f.model = r.beside`, pairs);
  await client.query(`update elt.refresh_log as l set model = r.name from ${renamed} where l.model = r.beside`, pairs);
}

/** What elt.models holds about one model. */
export interface StoredModel {
  name: string;
  checksum: string;
  source_view: string | null;
  /** its relation is in the database */
  exists: boolean;
}

export async function readStoredModels(client: PoolClient): Promise<StoredModel[]> {
  const { rows } = await client.query<StoredModel>(
    'select name, checksum, source_view, to_regclass(name) is not null as exists from elt.models order by build_order desc',
  );
  return rows;
}

/**
 * umzug's storage for the models, on elt.models. `executed()` is the models whose
 * relation is built from their current text: the relation exists, the stored checksum
 * is the model's (or the whole-file checksum of earlier versions), it is not `forced`
 * (--full, --select), and neither is any model upstream of it (a model is always
 * rebuilt on what it reads). `logMigration` records a built model, `unlogMigration`
 * forgets one.
 */
function modelStorage(client: PoolClient, models: Model[], forced: Set<string>): UmzugStorage {
  return {
    executed: async () => {
      const stored = new Map((await readStoredModels(client)).map((row) => [row.name, row]));
      const stale = models.filter((model) => {
        const row = stored.get(model.name);
        const same = row?.checksum === model.checksum || row?.checksum === model.legacyChecksum;
        return forced.has(model.name) || !row || !row.exists || !same;
      });
      const rebuilt = new Set(withDownstream(models, new Set(stale.map((model) => model.name))));
      return models.filter((model) => !rebuilt.has(model.name)).map((model) => model.name);
    },
    logMigration: async ({ name }) => {
      const model = models.find((candidate) => candidate.name === name) as Model;
      await recordModel(client, model, models.indexOf(model));
    },
    unlogMigration: async ({ name }) => {
      await forgetModel(client, name);
    },
  };
}

/**
 * Brings the comments of the models' relations and columns in line with their headers
 * (`comment on view / materialized view / table`, `comment on column`): the description
 * is metadata, so changing it changes the comment and rebuilds nothing. A model rebuilt
 * is commented on the relation built beside production (`relationOf`), before the swap. Only comments
 * that differ are written; a column described in a header but missing from the relation
 * fails the build naming the model.
 */
export async function applyDescriptions(
  client: PoolClient,
  models: Model[],
  relationOf: (model: Model) => string = (model) => model.name,
): Promise<void> {
  const names = models.map(relationOf);
  const { rows: relations } = await client.query<{ name: string; description: string | null }>(
    "select name, obj_description(to_regclass(name), 'pg_class') as description from unnest($1::text[]) as name",
    [names],
  );
  const { rows: columns } = await client.query<{ name: string; column: string; description: string | null }>(
    `select m.name, a.attname as column, col_description(a.attrelid, a.attnum) as description
       from unnest($1::text[]) as m (name)
       join pg_attribute as a on a.attrelid = to_regclass(m.name)
      where a.attnum > 0 and not a.attisdropped`,
    [names],
  );
  const literal = (text: string | null) => (text ? client.escapeLiteral(text) : 'null');
  for (const model of models) {
    const relation = relationOf(model);
    const name = quoteName(relation);
    const wanted = model.description || null;
    if ((relations.find((row) => row.name === relation)?.description ?? null) !== wanted) {
      await client.query(`comment on ${relationKind(model)} ${name} is ${literal(wanted)}`);
    }
    const present = columns.filter((row) => row.name === relation);
    for (const column of model.columns) {
      if (!present.some((row) => row.column === column.name)) {
        throw new EltError(
          `model ${model.name} (${model.path}): "-- column ${column.name}:" describes a column the model does not have`,
          ExitCode.modelFailed,
        );
      }
    }
    for (const row of present) {
      const described = model.columns.find((column) => column.name === row.column)?.description ?? null;
      if (described !== row.description) await client.query(`comment on column ${name}."${row.column}" is ${literal(described)}`);
    }
  }
}

/**
 * Fails the build, before anything is dropped, when a view or materialized view that is
 * not being rebuilt reads a model about to be dropped for its rebuild: an orphan (named,
 * with how to restore or drop it) or an object the build did not make. The drops never
 * cascade, so without this check Postgres would refuse them too, less clearly; no
 * CASCADE ever removes an orphan or an analyst's view behind the user's back.
 */
async function refuseDependents(
  client: PoolClient,
  toDrop: string[],
  sourceViews: Map<string, string | null>,
  orphans: OrphanedModel[],
  dir: string,
): Promise<void> {
  const sources = toDrop.map((name) => sourceViews.get(name)).filter((source): source is string => Boolean(source));
  const dependents = await readDependents(client, [...toDrop, ...sources]);
  if (dependents.length === 0) return;
  // an incremental model reads through its source view: named as the model itself
  const modelOf = (relation: string) => [...sourceViews].find(([, source]) => source === relation)?.[0] ?? relation;
  // dependents first: the first model in drop order that something else reads
  const blocked = toDrop.find((name) => dependents.some((row) => modelOf(row.relation) === name)) as string;
  const readers = [...new Set(dependents.filter((row) => modelOf(row.relation) === blocked).map((row) => modelOf(row.dependent)))].sort();
  const orphaned = readers.filter((reader) => orphans.some((orphan) => orphan.name === reader));
  const others = readers.filter((reader) => !orphaned.includes(reader));
  let why: string;
  if (others.length > 0) {
    why = `${others.join(', ')} (not a model) depends on it: drop it first (the build never drops what it did not make)`;
  } else if (orphaned.length === 1) {
    why = `the orphaned model ${orphaned[0]} reads it (its file is no longer in ${dir}); restore its file, or drop it: elt build --drop-orphan ${orphaned[0]}`;
  } else {
    why = `the orphaned models ${orphaned.join(', ')} read it (their files are no longer in ${dir}); restore their files, or drop them: elt build --prune`;
  }
  throw new EltError(`cannot rebuild model ${blocked}: ${why}`, ExitCode.modelFailed);
}

/**
 * Brings the database's models in line with the model files, with umzug: each model
 * is one of its migrations, in build order, and its storage is elt.models
 * (modelStorage), so umzug's `pending()` is what this build rebuilds. A model is
 * rebuilt when its checksum changed, its relation is missing or --full names it, or
 * --select / --exclude select it (dbt's grammar, transform/select-models.ts: `+m`
 * rebuilds m and what it reads), and with it every model downstream, an excluded one
 * too (a view cannot outlive what it reads: a warning says so); the others are left alone (their comments
 * follow their headers, applyDescriptions). Everything happens in one transaction under the
 * build and refresh locks (rows of elt.locks, see db/locked-transaction.ts): stale relations are dropped in reverse dependency order
 * (never with cascade) and recreated in order, so readers see the old or the
 * new version, and an object outside the models that depends on one makes the
 * build fail loudly instead of being dropped. A model whose file is gone is an orphan:
 * kept, reported, dropped only when `prune` asks (transform/orphaned-models.ts).
 * The strong locks (drop) are taken first, each waited for at most a short
 * lock_timeout, the whole transaction tried again while a reader's open transaction
 * holds one, up to `lockWait.limitSeconds` (db/lock-wait.ts): readers never queue
 * behind a waiting build for long.
 */
export async function buildModels(
  pool: Pool,
  options: {
    dir: string;
    log: Logger;
    full?: boolean;
    select?: string[];
    exclude?: string[];
    prune?: PruneRequest;
    lockWait?: LockWaitOptions;
  },
): Promise<BuildResult> {
  const models = readModels(options.dir);
  const selecting = options.select !== undefined || options.exclude !== undefined;
  const selected = new Set(selecting ? selectModels(models, { select: options.select, exclude: options.exclude, modelsDir: options.dir }) : []);
  const excluded = options.exclude === undefined ? new Set<string>() : excludedModels(models, options.exclude, options.dir);
  const placements = modelPlacements(models);
  const outcome = await withLockRetries(
    pool,
    'elt build',
    (arm) =>
      withLockedTransaction(pool, LOCKS.build, async (client) => {
        // a refresh folds new loads into the incremental models: never during a build
        await alsoLock(client, LOCKS.refresh);
        // from here on, a strong lock a reader stands in the way of is waited for briefly, then the whole try again
        await arm(client);
        const stored = await readStoredModels(client);
        const orphans = await readOrphans(client, models);
        // a folder that shares no model with the database is a mistyped path or another project's: drop nothing
        if (stored.length > 0 && orphans.length === stored.length) {
          throw new EltError(
            `the models folder ${options.dir} holds none of the ${stored.length} models this database has (${stored
              .map((row) => row.name)
              .sort()
              .join(', ')}): ` + 'for another pipeline use --project <dir> (a database of its own); nothing was dropped',
            ExitCode.usage,
          );
        }
        // an orphan is dropped only when asked for, first: a rebuild below may then go through
        const pruned = await dropOrphans(client, chooseOrphans(orphans, options.prune), orphans);
        const kept = orphans.filter((orphan) => !pruned.includes(orphan.name));
        const forced = new Set(options.full ? models.map((model) => model.name).filter((name) => !excluded.has(name)) : selected);
        // on Citus, a table not yet laid out as transform/distribute.ts says is rebuilt so
        for (const name of await misplacedModels(client, models, placements)) forced.add(name);
        // a kind rebuilt at every build (a table): always, with what reads it
        const everyBuild = models.filter((model) => MODEL_KINDS[model.materialized].rebuild === 'every-build').map((model) => model.name);
        for (const name of everyBuild) forced.add(name);
        // the source view each stored model was built with (in this layout or the one before issue 25)
        const sourceViews = new Map(stored.map((row) => [row.name, row.source_view === null ? null : storedSourceView(row.name, row.source_view)]));
        // the relations of the models schemas now, by name: their pg_class relkind (read below)
        const existingKinds = new Map<string, string>();
        // each model rebuilt is built beside production (<name>__new), reading the others rebuilt, and swapped in at the end
        const besides = new Map<string, Model>();
        const umzug = new Umzug({
          migrations: models.map((model, order) => ({
            name: model.name,
            path: model.path,
            up: async () => {
              // the progress lines dbt users know: "3 of 9 START table x", "3 of 9 OK table x in 15.7s"
              const counted = `${pending.indexOf(model.name) + 1} of ${pending.length}`;
              const event = { model: model.name, kind: relationKind(model), index: pending.indexOf(model.name) + 1, total: pending.length };
              options.log.info(`${counted} START ${relationKind(model)} ${model.name}`, { ...event, status: 'start' });
              const started = performance.now();
              try {
                const beside = besideModel(model, pendingSet);
                besides.set(model.name, beside);
                await createModel(client, model, beside, order, placements);
              } catch (err) {
                const ms = performance.now() - started;
                options.log.error(`${counted} ERROR ${relationKind(model)} ${model.name} in ${seconds(ms)}`, {
                  ...event,
                  status: 'error',
                  ms: Math.round(ms),
                });
                if (err instanceof EltError) throw err;
                const message = err instanceof Error ? err.message : String(err);
                throw new EltError(`model ${model.name} (${model.path}) failed to build: ${message}`, ExitCode.modelFailed, { cause: err });
              }
              const ms = performance.now() - started;
              builtMs[model.name] = Math.round(ms);
              // what a refresh refreshes: its rows are as new as this build (elt status compares that with the loads)
              if (MODEL_KINDS[model.materialized].refresh === 'refresh-materialized-view') {
                await client.query('insert into elt.refresh_log (model, duration_ms, how) values ($1, $2, $3)', [
                  model.name,
                  ms.toFixed(1),
                  'built' satisfies RefreshHow,
                ]);
              }
              options.log.info(`${counted} OK ${relationKind(model)} ${model.name} in ${seconds(ms)}`, {
                ...event,
                status: 'ok',
                ms: Math.round(ms),
              });
            },
          })),
          storage: modelStorage(client, models, forced),
          logger: undefined,
        });
        const pending = (await umzug.pending()).map((migration) => migration.name);
        const builtMs: Record<string, number> = {};
        const pendingSet = new Set(pending);

        // what the build replaces (dropped at the swap, dependents first)
        const { rows: existing } = await client.query<{ name: string; relkind: string }>(
          `select n.nspname || '.' || c.relname as name, c.relkind
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any($1) and c.relkind in ('v', 'm', 'r')`,
          [[...MODEL_SCHEMAS]],
        );
        for (const row of existing) existingKinds.set(row.name, row.relkind);
        const replaced = [...pending].reverse().filter((name) => existingKinds.has(name));
        // source views still where the code before issue 25 put them (beside their model): moved to the engine schema
        // before the engine reads them (apply_increments below) and before anything they read is dropped
        const keptOldSourceViews = await moveOldSourceViews(client, models, stored, pendingSet);
        // what reads a relation the build replaces stops it here, before anything is built
        await refuseDependents(client, replaced, sourceViews, kept, options.dir);
        // bring the incremental tables that stay up to date first, so marts built now are fresh
        await client.query('call elt.apply_increments($1)', [pending]);

        try {
          await umzug.up();
        } catch (err) {
          // umzug wraps what a migration throws; surface our own error
          const cause = err instanceof Error && err.cause instanceof EltError ? err.cause : err;
          throw cause;
        }
        // a model built by a version that checksummed the whole file keeps its relation
        for (const model of models.filter((candidate) => !pendingSet.has(candidate.name))) {
          await client.query('update elt.models set checksum = $2 where name = $1 and checksum = $3', [
            model.name,
            model.checksum,
            model.legacyChecksum,
          ]);
        }
        // the engine applies incremental models in build order: every model in its place, the orphans (which no model reads) after them
        await client.query(
          `update elt.models as m set build_order = o.position - 1
         from unnest($1::text[]) with ordinality as o (name, position)
        where m.name = o.name and m.build_order <> o.position - 1`,
          [[...models.map((model) => model.name), ...kept.map((orphan) => orphan.name)]],
        );
        // the comments follow the headers: on the relations built beside for the models rebuilt
        await applyDescriptions(client, models, (model) => besides.get(model.name)?.name ?? model.name);
        const rebuilt = models.filter((model) => besides.has(model.name));
        const swaps = rebuilt.map((model) => swapOf(model, besides.get(model.name) as Model, sourceViews.get(model.name)));
        await carryOverPrivileges(client, swaps);
        await swapEngineState(client, rebuilt);
        // a view made on a rebuilt model while this build ran stops it here, named, before the swap
        await refuseDependents(client, replaced, sourceViews, kept, options.dir);
        // the one moment readers may wait for (briefly): production's relations replaced by those built beside, then the commit
        await swapRelations(pool, client, swaps, { what: 'elt build', log: options.log, ...options.lockWait });
        const built: BuildResult = {
          built: pending,
          unchanged: models.map((model) => model.name).filter((name) => !pendingSet.has(name)),
          orphaned: kept.map((orphan) => orphan.name),
          pruned,
          builtMs,
        };
        return { ...built, keptOldSourceViews };
      }),
    { log: options.log, ...options.lockWait },
  );
  const { keptOldSourceViews, ...result } = outcome;
  for (const old of keptOldSourceViews) options.log.warn(keptOldSourceViewWarning(old));
  for (const name of result.built.filter((built) => excluded.has(built))) {
    options.log.warn(`${name} was rebuilt though excluded: it reads a model this build rebuilt (a view cannot outlive what it reads)`);
  }
  for (const name of result.pruned) options.log.info(`dropped orphaned model ${name}, as asked`);
  for (const name of result.orphaned) {
    options.log.warn(
      `orphaned model ${name}: its file is no longer in ${options.dir}; kept as it is (elt build --drop-orphan ${name} or --prune drops it)`,
    );
  }
  return result;
}
