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
import { MODEL_KINDS, SWAP_SUFFIX } from './model-kinds';
import { excludedModels, selectModels } from './select-models';
import { keptOldSourceViewWarning, moveOldSourceViews } from './old-source-views';
import { chooseOrphans, dropOrphans, readOrphans, type OrphanedModel, type PruneRequest } from './orphaned-models';
import { readDependents } from './relation-dependents';
import { sourceViewComment, storedSourceView } from './source-views';

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

/** The relkinds of pg_class a build may drop, with what `drop` calls them. */
const DROP_KIND: Record<string, string> = { m: 'materialized view', r: 'table', v: 'view' };

/**
 * Records a model in elt.models, the build's state (umzug's storage, see modelStorage).
 * `unfilled` (an incremental model about to be filled) marks its table as never filled
 * (settings_fingerprint NULL), so the engine computes it in full; otherwise what the
 * engine recorded is kept.
 */
async function recordModel(client: PoolClient, model: Model, order: number, unfilled = false): Promise<void> {
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

/** Where a model's relation is created: its own name, or `<name>__new` beside it for a kind rebuilt at every build (swapped in by swapIn). */
const createdAs = (model: Model): string =>
  MODEL_KINDS[model.materialized].rebuild === 'every-build' ? `${model.relation}${SWAP_SUFFIX}` : model.relation;

/** The names of a model's indexes on `relation` (its own, or the one it is built as): its unique key's, if its kind indexes it, and each `-- index:` line's. */
function indexNames(model: Model, relation: string): { unique?: string; plain: string[] } {
  const plain = model.indexes.map((_, position) => `${relation}_index_${position + 1}`);
  return MODEL_KINDS[model.materialized].keyIndex && model.uniqueKey.length > 0 ? { unique: `${relation}_unique_key`, plain } : { plain };
}

/**
 * Creates a model's relation with the statements its kind gives (transform/model-kinds.ts),
 * its key and other indexes. An incremental model's query becomes the view
 * `model.sourceView` (pg_depend then knows what the table reads) and its table is
 * created empty and filled by the engine itself (`call elt.apply_increment`, the path
 * every later refresh takes), before its indexes are built. A kind rebuilt at every
 * build is created as `<name>__new`, beside the relation readers use (swapIn).
 */
async function createModel(client: PoolClient, model: Model, order: number, placements: ReturnType<typeof modelPlacements>): Promise<void> {
  const kind = MODEL_KINDS[model.materialized];
  const relation = createdAs(model);
  const name = quoteName(`${model.schema}.${relation}`);
  const columns = (list: string[]) => list.map((column) => `"${column}"`).join(', ');
  if (relation !== model.relation) {
    const { rows } = await client.query<{ present: boolean }>('select to_regclass($1) is not null as present', [`${model.schema}.${relation}`]);
    if (rows[0]?.present) {
      throw new EltError(
        `cannot build model ${model.name}: ${model.schema}.${relation} exists and the build did not make it (a ${model.materialized} model is built there, then swapped in): drop or rename it`,
        ExitCode.modelFailed,
      );
    }
  }
  for (const statement of kind.create({ relation: name, sourceView: quoteName(model.sourceView ?? '') }, model.sql)) {
    await client.query(statement);
  }
  if (model.sourceView !== undefined) {
    await client.query(`comment on view ${quoteName(model.sourceView)} is ${client.escapeLiteral(sourceViewComment(model.name))}`);
  }
  // on Citus, the tables that grow with history are spread over the workers (transform/distribute.ts)
  let distributedOn: string | undefined;
  if (kind.fill === 'by-engine') {
    distributedOn = await distributeModel(client, model, placements.get(model.name));
    await recordModel(client, model, order, true);
    await client.query('call elt.apply_increment($1)', [model.name]);
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

/**
 * Puts a model built as `<name>__new` in the place of its old relation, in one moment of
 * the build's transaction: drops the old relation (of whatever kind it was, never with
 * cascade; refuseDependents vetted its readers) and its source view, renames the new
 * one and its indexes. Readers read the old relation until then.
 */
async function swapIn(client: PoolClient, model: Model, existingKind: string | undefined, sourceView: string | null | undefined): Promise<void> {
  try {
    await dropModelRelation(client, model.name, existingKind, sourceView);
    await client.query(`alter table ${quoteName(`${model.schema}.${createdAs(model)}`)} rename to "${model.relation}"`);
    const names = (relation: string) => {
      const { unique, plain } = indexNames(model, relation);
      return [...(unique === undefined ? [] : [unique]), ...plain];
    };
    const built = names(createdAs(model));
    for (const [position, index] of names(model.relation).entries()) {
      await client.query(`alter index ${quoteName(`${model.schema}.${built[position]}`)} rename to "${index}"`);
    }
  } catch (err) {
    throw new EltError(`cannot swap in model ${model.name}: ${err instanceof Error ? err.message : String(err)}`, ExitCode.modelFailed, {
      cause: err,
    });
  }
}

/** Drops a model's relation (`relkind` from pg_class; none: nothing to drop), the source view of an incremental one, and the loads it folded. */
async function dropModelRelation(
  client: PoolClient,
  name: string,
  relkind: string | undefined,
  sourceView: string | null | undefined,
): Promise<void> {
  if (relkind === undefined) return;
  const kind = DROP_KIND[relkind] ?? 'view';
  await client.query(`drop ${kind} ${quoteName(name)}`);
  if (kind === 'table' && sourceView) await client.query(`drop view if exists ${quoteName(sourceView)}`);
  await client.query('delete from elt.folded_loads where model = $1', [name]);
}

/** What elt.models holds about one model. */
interface StoredModel {
  name: string;
  checksum: string;
  source_view: string | null;
  /** its relation is in the database */
  exists: boolean;
}

async function readStoredModels(client: PoolClient): Promise<StoredModel[]> {
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
 * is metadata, so changing it changes the comment and rebuilds nothing. Only comments
 * that differ are written; a column described in a header but missing from the relation
 * fails the build naming the model.
 */
async function applyDescriptions(client: PoolClient, models: Model[]): Promise<void> {
  const names = models.map((model) => model.name);
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
    const name = quoteName(model.name);
    const wanted = model.description || null;
    if ((relations.find((row) => row.name === model.name)?.description ?? null) !== wanted) {
      await client.query(`comment on ${relationKind(model)} ${name} is ${literal(wanted)}`);
    }
    const present = columns.filter((row) => row.name === model.name);
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
        // the relations of the models schemas now, by name: their pg_class relkind (read below, before any drop)
        const existingKinds = new Map<string, string>();
        // built as <name>__new, not yet swapped in: swapped in before a model reading it is built, else at the end
        const beside = new Map<string, Model>();
        const swapInBeside = async (name: string) => {
          const model = beside.get(name);
          if (model === undefined) return;
          beside.delete(name);
          await swapIn(client, model, existingKinds.get(name), sourceViews.get(name));
        };
        const umzug = new Umzug({
          migrations: models.map((model, order) => ({
            name: model.name,
            path: model.path,
            up: async () => {
              for (const upstream of model.dependsOn) await swapInBeside(upstream);
              // the progress lines dbt users know: "3 of 9 START table x", "3 of 9 OK table x in 15.7s"
              const counted = `${pending.indexOf(model.name) + 1} of ${pending.length}`;
              const event = { model: model.name, kind: relationKind(model), index: pending.indexOf(model.name) + 1, total: pending.length };
              options.log.info(`${counted} START ${relationKind(model)} ${model.name}`, { ...event, status: 'start' });
              const started = performance.now();
              try {
                await createModel(client, model, order, placements);
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
              if (MODEL_KINDS[model.materialized].rebuild === 'every-build') beside.set(model.name, model);
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

        // drop what will be rebuilt, dependents first (before the engine's work: the strong locks are taken early)
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
        // what reads a relation the build replaces (a table swapped in later included) stops it here, before anything changed
        await refuseDependents(client, replaced, sourceViews, kept, options.dir);
        for (const name of replaced.filter((candidate) => !everyBuild.includes(candidate))) {
          try {
            await dropModelRelation(client, name, existingKinds.get(name), sourceViews.get(name));
          } catch (err) {
            throw new EltError(`cannot rebuild model ${name}: ${err instanceof Error ? err.message : String(err)}`, ExitCode.modelFailed, {
              cause: err,
            });
          }
        }
        // bring the incremental tables that stay up to date first, so marts built now are fresh
        await client.query('call elt.apply_increments($1)', [pending]);

        try {
          await umzug.up();
        } catch (err) {
          // umzug wraps what a migration throws; surface our own error
          const cause = err instanceof Error && err.cause instanceof EltError ? err.cause : err;
          throw cause;
        }
        // the tables built beside, in build order: the moment their readers wait for is from here to the commit
        for (const name of [...beside.keys()]) await swapInBeside(name);
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
        await applyDescriptions(client, models);
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
