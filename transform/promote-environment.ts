import type { Pool, PoolClient } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { LOCKS } from '../db/lock-names';
import { alsoLock, withLockedTransaction } from '../db/locked-transaction';
import { withLockRetries, type LockWaitOptions } from '../db/lock-wait';
import type { RefreshHow } from '../db/refresh-how';
import { besideModel, besideName } from './beside-models';
import { applyDescriptions, indexNames, readStoredModels, recordModel, swapEngineState, swapOf } from './build-models';
import { checkEnvironmentName, environmentRelation, environmentSchema } from './environment-name';
import { callEnvironmentFunction, lockEnvironmentRecord, type Environment } from './environments';
import { readModels, type Model } from './model-catalog';
import { MODEL_KINDS } from './model-kinds';
import { hasPendingChanges } from './pending-changes';
import { productionMoves, readProductionState } from './production-state';
import { sourceViewComment, storedSourceView } from './source-views';
import { carryOverPrivileges, quoteQualified, swapRelations } from './swap-relations';

export interface PromoteResult {
  environment: string;
  /** the models production took from the environment, in build order */
  promoted: string[];
  /** the environment's schemas, dropped */
  dropped: string[];
}

/** Refuses, before anything changed, unless this login built the environment and owns the project (it writes production). */
async function checkMayPromote(client: PoolClient, environment: Environment): Promise<void> {
  const { rows } = await client.query<{ login: string; owner: boolean }>(
    `select session_user::text as login,
            pg_has_role(current_user, (select nspowner from pg_namespace where nspname = 'elt'), 'member') as owner`,
  );
  const me = rows[0] as { login: string; owner: boolean };
  if (!me.owner) {
    throw new EltError(
      `${me.login} may not promote environment ${environment.name}: promoting writes production, which only the project's owner may; nothing was promoted`,
      ExitCode.usage,
    );
  }
  if (environment.ownerLogin !== me.login) {
    throw new EltError(
      `environment ${environment.name} was built by ${environment.ownerLogin}: only the login that built an environment promotes it (its SQL ran with that login's rights); build one of yours with elt build --env <name>; nothing was promoted`,
      ExitCode.usage,
    );
  }
}

/**
 * The loads loaded now, provided they are those the environment was built from (the
 * digest its record holds): the loads its by-load tables hold, which production's
 * engine then records as folded. Read in one statement, so the list is the digest's.
 */
async function loadsBuiltFrom(client: PoolClient, environment: Environment): Promise<string[] | undefined> {
  const { rows } = await client.query<{ ids: string[]; digest: string }>(
    `select coalesce(array_agg(l.load_id::text order by l.load_id), '{}') as ids,
            md5(coalesce(string_agg(l.load_id::text, ',' order by l.load_id), '')) as digest
       from raw.loads as l where l.status = 'loaded'`,
  );
  const row = rows[0] as { ids: string[]; digest: string };
  return row.digest === environment.builtFrom.loads ? row.ids : undefined;
}

/**
 * Moves one model's relation from the environment into its production schema under the
 * name the build gives a relation built beside production (`marts.x__new`, with its
 * indexes so named), where the swap finds it: rename in the environment's schema first
 * (production's schema holds the name already), then `set schema`. Views and materialized
 * views built in the environment read the others by oid: they follow them.
 */
async function moveBeside(client: PoolClient, model: Model, beside: Model, environment: string): Promise<void> {
  const kind = MODEL_KINDS[model.materialized].relation;
  const schema = environmentSchema(model.schema, environment);
  const { rows } = await client.query<{ present: boolean }>('select to_regclass($1) is not null as present', [beside.name]);
  if (rows[0]?.present) {
    throw new EltError(
      `cannot promote model ${model.name}: ${beside.name} exists and elt did not make it (a promoted model is moved there, then swapped in): drop or rename it; nothing was promoted`,
      ExitCode.modelFailed,
    );
  }
  const from = indexNames(model, model.relation);
  const to = indexNames(model, beside.relation);
  const renames = [
    ...(from.unique === undefined ? [] : [[from.unique, to.unique as string]]),
    ...from.plain.map((index, i) => [index, to.plain[i] as string]),
  ];
  for (const [old, renamed] of renames) {
    await client.query(`alter index if exists ${quoteQualified(`${schema}.${old}`)} rename to ${quoteQualified(renamed as string)}`);
  }
  await client.query(`alter ${kind} ${quoteQualified(environmentRelation(model.name, environment))} rename to ${quoteQualified(beside.relation)}`);
  await client.query(`alter ${kind} ${quoteQualified(`${schema}.${beside.relation}`)} set schema ${quoteQualified(model.schema)}`);
}

/**
 * The engine's bookkeeping of a promoted incremental model, recorded under its beside name
 * (swapEngineState renames it with the relation): its source view (its query, reading the
 * models promoted with it beside production), its elt.models row computed with the
 * settings of now (the environment was built with them: productionMoves checked), and, by
 * load, the loads its table holds as folded, so the next refresh folds only newer ones.
 */
async function recordIncremental(client: PoolClient, model: Model, beside: Model, order: number, loads: string[]): Promise<void> {
  const sourceView = quoteQualified(beside.sourceView as string);
  await client.query(`drop view if exists ${sourceView}`);
  await client.query(`create view ${sourceView} as\n${beside.sql}`);
  await client.query(`comment on view ${sourceView} is ${client.escapeLiteral(sourceViewComment(model.name))}`);
  await recordModel(client, beside, order);
  await client.query('update elt.models set settings_fingerprint = elt.settings_fingerprint() where name = $1', [beside.name]);
  if (model.incrementalBy === 'load_id') {
    await client.query('insert into elt.folded_loads (model, load_id) select $1, unnest($2::bigint[])', [beside.name, loads]);
  }
}

/**
 * A relation new to production gets what the default privileges of its production schema
 * give a table made there by its owner (`alter default privileges in schema marts grant
 * select ... to <db>_reader`, elt.apply_grants()): it was made in the environment's schema,
 * which has none. Relations production had take the old one's privileges (carryOverPrivileges).
 */
async function grantSchemaDefaults(client: PoolClient, beside: Model, existed: boolean): Promise<void> {
  if (existed) return;
  const { rows } = await client.query<{ statement: string }>(
    `select format('grant %s on %s to %s%s', a.privilege_type, $2::text,
                   case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end,
                   case when a.is_grantable then ' with grant option' else '' end) as statement
       from pg_default_acl as d
       cross join lateral aclexplode(d.defaclacl) as a
      where d.defaclobjtype = 'r'
        and d.defaclnamespace = (select oid from pg_namespace where nspname = $1)
        and d.defaclrole = (select relowner from pg_class where oid = to_regclass($3))`,
    [beside.schema, quoteQualified(beside.name), beside.name],
  );
  for (const { statement } of rows) await client.query(statement);
}

/**
 * `elt promote --env <name>`: production takes the environment's models in one
 * transaction, under the build and refresh locks. Each relation of the environment is moved
 * into its production schema beside production's (`<name>__new`), with the engine's
 * bookkeeping a build would write (elt.models and their checksums, an incremental model's
 * source view and the loads its table holds), then swapped in with the others in one short
 * moment (transform/swap-relations.ts: readers read the old set or the new one; the swap's
 * lock budget, backoff and exit 11), and the environment's schemas and record dropped.
 * Refused, with one line naming `elt build --env <name>`, when production moved since the
 * environment was built (productionMoves: a load, a refresh, build or promotion, its
 * models' SQL or settings), when the models folder no longer holds the SQL it was built
 * from, and unless this login built it and owns the project.
 */
export async function promoteEnvironment(
  pool: Pool,
  options: { dir: string; environment: string; log: Logger; lockWait?: LockWaitOptions },
): Promise<PromoteResult> {
  const environment = checkEnvironmentName(options.environment);
  const models = readModels(options.dir);
  const bringUpToDate = `run elt build --env ${environment} to bring it up to date, then elt promote --env ${environment}; nothing was promoted`;
  return withLockRetries(
    pool,
    'elt promote',
    (arm) =>
      withLockedTransaction(pool, LOCKS.build, async (client) => {
        await alsoLock(client, LOCKS.refresh);
        const record = await lockEnvironmentRecord(client, environment);
        if (record === undefined) {
          throw new EltError(`no environment named ${environment} (elt env list shows them); nothing was promoted`, ExitCode.usage);
        }
        await checkMayPromote(client, record);
        const moves = productionMoves(record.builtFrom, await readProductionState(client));
        const loads = await loadsBuiltFrom(client, record);
        if (loads === undefined && !moves.includes('loads were loaded or replaced')) moves.unshift('loads were loaded or replaced');
        if (moves.length > 0) {
          // loads not yet folded into production: elt build --env would refuse until elt refresh folds them
          const refreshFirst = (await hasPendingChanges(client)) ? 'elt refresh and ' : '';
          throw new EltError(
            `production moved since environment ${environment} was built (${moves.join('; ')}): run ${refreshFirst}${bringUpToDate.slice('run '.length)}`,
            ExitCode.usage,
          );
        }
        const promotedSet = new Set(Object.keys(record.models));
        const promoted = models.filter((model) => promotedSet.has(model.name));
        for (const name of promotedSet) {
          const model = promoted.find((candidate) => candidate.name === name);
          if (model === undefined || model.checksum !== record.models[name]) {
            throw new EltError(
              `${name} in ${options.dir} is ${model === undefined ? 'missing' : 'not the SQL'} environment ${environment} was built from: ${bringUpToDate}`,
              ExitCode.usage,
            );
          }
        }
        await arm(client);
        const stored = await readStoredModels(client);
        const sourceViews = new Map(stored.map((row) => [row.name, row.source_view === null ? null : storedSourceView(row.name, row.source_view)]));
        const besides = new Map<string, Model>();
        for (const model of promoted) {
          const beside = besideModel(model, promotedSet);
          besides.set(model.name, beside);
          const existed = stored.some((row) => row.name === model.name && row.exists);
          await moveBeside(client, model, beside, environment);
          await grantSchemaDefaults(client, beside, existed);
          const order = models.indexOf(model);
          await recordModel(client, model, order);
          if (beside.sourceView !== undefined) await recordIncremental(client, model, beside, order, loads as string[]);
          if (MODEL_KINDS[model.materialized].refresh !== 'none') {
            // a promotion is production moving: an environment built before it can tell (productionMoves)
            await client.query('insert into elt.refresh_log (model, duration_ms, how) values ($1, 0, $2)', [
              beside.sourceView === undefined ? model.name : beside.name,
              'built' satisfies RefreshHow,
            ]);
          }
          options.log.info(`promoted ${model.name} (from ${environmentRelation(model.name, environment)})`, { model: model.name, environment });
        }
        await applyDescriptions(client, promoted, (model) => besideName(model.name));
        const swaps = promoted.map((model) => swapOf(model, besides.get(model.name) as Model, sourceViews.get(model.name)));
        await carryOverPrivileges(client, swaps);
        await swapEngineState(client, promoted);
        await swapRelations(pool, client, swaps, { what: 'elt promote', log: options.log, ...options.lockWait });
        const dropped = await callEnvironmentFunction(client, 'drop', [environment]);
        return { environment, promoted: promoted.map((model) => model.name), dropped };
      }),
    { log: options.log, ...options.lockWait },
  );
}
