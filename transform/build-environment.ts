import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { checkEnvironmentName, environmentRelation, environmentSchema, environmentSchemas } from './environment-name';
import { environmentSql } from './environment-sql';
import { checkMayChange, dropEnvironmentSchemas, lockEnvironmentRecord } from './environments';
import { readModels, withDownstream, type Model } from './model-catalog';
import { MODEL_KINDS } from './model-kinds';
import { hasPendingChanges } from './pending-changes';
import { readProductionState } from './production-state';

export interface EnvironmentBuildResult {
  environment: string;
  /** the models whose SQL differs from production's, in build order */
  changed: string[];
  /** those and every model downstream of them: what the environment holds, in build order */
  built: string[];
  /** the schemas it holds them in */
  schemas: string[];
}

const quoted = (name: string): string =>
  name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');

/** One statement of model SQL, sent with the extended protocol: a `;` in the model cannot add a second one. */
const oneStatement = (client: PoolClient, text: string) => client.query({ text, queryMode: 'extended' } as QueryConfig);

/**
 * Before a model with a lower bound (`incremental_by: <key>, <bound>`) is computed whole in
 * the environment: its query reads what to compute through elt.fold_keys(), so this session
 * gets the working table the engine would make (pg_temp.changed_keys_<md5>: every key of its
 * inputs, as the environment reads them, from its least bound) under the environment
 * relation's name, which no engine row has: fold_keys() then gives every key with no row
 * before it (db/procedures/apply_increments.sql). Returns the table's name.
 */
async function prepareWholeFold(client: PoolClient, model: Model, inEnvironment: ReadonlySet<string>, environment: string): Promise<string> {
  const folding = environmentRelation(model.name, environment);
  const table = `changed_keys_${createHash('md5').update(folding).digest('hex')}`;
  for (const [position, input] of model.inputs.entries()) {
    const from = quoted(inEnvironment.has(input.upstream) ? environmentRelation(input.upstream, environment) : input.upstream);
    const since = `"${input.sinceColumn ?? (model.incrementalSince as string)}"`;
    if (position === 0)
      await client.query(
        `create temp table pg_temp."${table}" on commit drop as select "${input.column}" as key, ${since} as since from ${from} where false`,
      );
    await client.query(`insert into pg_temp."${table}" (key, since) select "${input.column}", min(${since}) from ${from} group by 1`);
  }
  await client.query(`select set_config('elt.fold_model', $1, true)`, [folding]);
  return table;
}

/**
 * Creates one model in the environment, with its SQL rewritten (transform/environment-sql.ts):
 * a view, materialized view or table as its kind makes it; an incremental model as a table
 * computed whole from its query (by load: of the loads loaded, as the engine folds them), never
 * through the engine (its procedures run as the owner: an environment's SQL runs with the
 * rights of the login that builds it, nothing more). Its key and indexes have production's
 * names, in the environment's schema.
 */
async function createInEnvironment(
  client: PoolClient,
  model: Model,
  sql: string,
  inEnvironment: ReadonlySet<string>,
  environment: string,
): Promise<void> {
  const kind = MODEL_KINDS[model.materialized];
  const target = quoted(environmentRelation(model.name, environment));
  if (kind.fill === 'by-engine') {
    const byLoad = model.incrementalBy === 'load_id' ? "\nwhere m.load_id in (select l.load_id from raw.loads as l where l.status = 'loaded')" : '';
    const folding = model.incrementalSince === undefined ? undefined : await prepareWholeFold(client, model, inEnvironment, environment);
    await oneStatement(client, `create table ${target} as\nselect * from (\n${sql}\n) as m${byLoad}`);
    if (folding !== undefined) {
      await client.query(`select set_config('elt.fold_model', '', true)`);
      await client.query(`drop table pg_temp."${folding}"`);
    }
  } else {
    for (const statement of kind.create({ relation: target, sourceView: '' }, sql)) await oneStatement(client, statement);
  }
  const columns = (list: string[]) => list.map((column) => `"${column}"`).join(', ');
  if (kind.keyIndex && model.uniqueKey.length > 0) {
    await client.query(`create unique index "${model.relation}_unique_key" on ${target} (${columns(model.uniqueKey)})`);
  }
  for (const [position, index] of model.indexes.entries()) {
    await client.query(`create index "${model.relation}_index_${position + 1}" on ${target} (${columns(index)})`);
  }
  if (kind.relation !== 'view') await client.query(`analyze ${target}`);
}

/**
 * `elt build --env <name>`: builds the models whose checksum differs from production's
 * (elt.models; a model production lacks counts as changed) and every model downstream of
 * them into the environment's schemas (`<layer>__<name>`), each reading the environment's
 * relation of a model it holds and production's of every other (raw is read, never
 * written). Production is read in one snapshot (repeatable read) and not written: its
 * relations, ledger, refresh log and elt.models stay as they are. Refused while production
 * has loads not yet folded in (the environment would differ from it by them, not by its
 * SQL). Builds the whole environment again when it exists (its login's, or as the owner),
 * and records it in elt.environments with the production state it was built from.
 */
export async function buildEnvironment(pool: Pool, options: { dir: string; environment: string; log: Logger }): Promise<EnvironmentBuildResult> {
  const environment = checkEnvironmentName(options.environment);
  const models = readModels(options.dir);
  const client = await pool.connect();
  try {
    await client.query('begin isolation level repeatable read');
    const state = await readProductionState(client);
    const { rows: stored } = await client.query<{ name: string; checksum: string }>('select name, checksum from elt.models');
    if (stored.length === 0)
      throw new EltError(`production has no models yet: run elt build first, then elt build --env ${environment}`, ExitCode.usage);
    if (await hasPendingChanges(client)) {
      throw new EltError(
        `production has loads not yet folded into its models: run elt refresh, then elt build --env ${environment} (an environment starts from production as it is)`,
        ExitCode.usage,
      );
    }
    const checksums = new Map(stored.map((row) => [row.name, row.checksum]));
    const changed = models
      .filter((model) => ![model.checksum, model.legacyChecksum].includes(checksums.get(model.name) ?? ''))
      .map((model) => model.name);
    const inEnvironment = new Set(withDownstream(models, new Set(changed)));
    if (inEnvironment.size === 0) {
      await client.query('rollback');
      return { environment, changed: [], built: [], schemas: [] };
    }
    const existing = await lockEnvironmentRecord(client, environment);
    if (existing !== undefined) {
      await checkMayChange(client, existing);
      await dropEnvironmentSchemas(client, environment);
    } else {
      // schemas of this name that no record owns were not made by elt: never dropped, never built into
      const { rows: taken } = await client.query<{ schema: string }>('select nspname as schema from pg_namespace where nspname = any($1)', [
        environmentSchemas(environment),
      ]);
      if (taken[0] !== undefined) {
        throw new EltError(
          `schema ${taken[0].schema} exists and is not environment ${environment}'s (elt did not make it): choose another name; nothing was built`,
          ExitCode.usage,
        );
      }
    }
    const layers = [...new Set(models.filter((model) => inEnvironment.has(model.name)).map((model) => model.schema))];
    const schemas = layers.map((layer) => environmentSchema(layer, environment));
    for (const schema of schemas) await client.query(`create schema "${schema}"`);
    const built: string[] = [];
    const ordered = models.filter((model) => inEnvironment.has(model.name));
    for (const [position, model] of ordered.entries()) {
      const counted = `${position + 1} of ${ordered.length}`;
      const where = environmentRelation(model.name, environment);
      options.log.info(`${counted} START ${MODEL_KINDS[model.materialized].relation} ${where}`, { model: model.name, environment, status: 'start' });
      const started = performance.now();
      try {
        await createInEnvironment(client, model, environmentSql(model.name, model.sql, inEnvironment, environment), inEnvironment, environment);
      } catch (err) {
        if (err instanceof EltError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        throw new EltError(`model ${model.name} (${model.path}) failed to build in environment ${environment}: ${message}`, ExitCode.modelFailed, {
          cause: err,
        });
      }
      const ms = Math.round(performance.now() - started);
      options.log.info(`${counted} OK ${MODEL_KINDS[model.materialized].relation} ${where} in ${(ms / 1000).toFixed(2)}s`, {
        model: model.name,
        environment,
        status: 'ok',
        ms,
      });
      built.push(model.name);
    }
    await client.query(
      `insert into elt.environments (name, built_from, models) values ($1, $2, $3)
       on conflict (name) do update set owner_login = session_user, created_at = now(), built_from = excluded.built_from, models = excluded.models`,
      [environment, JSON.stringify(state), JSON.stringify(Object.fromEntries(ordered.map((model) => [model.name, model.checksum])))],
    );
    await client.query('commit');
    return { environment, changed, built, schemas };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
