import type { Pool, PoolClient, QueryConfig } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { checkEnvironmentName, environmentRelation } from './environment-name';
import { environmentSql } from './environment-sql';
import { callEnvironmentFunction, readEnvironments } from './environments';
import { readModels, withDownstream, type Model } from './model-catalog';
import { MODEL_KINDS } from './model-kinds';
import { sqlTokens } from './sql-tokens';

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

const FOLD_KEYS = /\belt\s*\.\s*fold_keys\s*\(\s*\)/gi;
/** What may follow a FROM item that has no alias of its own. */
const NO_ALIAS =
  /^\s*(?:$|[),;]|(?:where|join|left|right|inner|full|cross|natural|group|order|limit|offset|fetch|union|except|intersect|window|having|on|using)\b)/i;

/**
 * The SQL of a model with a lower bound (`incremental_by: <key>, <bound>`) computed whole,
 * outside the engine: its `elt.fold_keys()` (which answers only inside the engine's fold,
 * db/procedures/apply_increments.sql) read as the engine reads it in a full computation:
 * every key of its inputs (`incremental_from`, the environment's relation when it holds
 * the input), from the least value of the bound, with no row before it.
 */
function computedWhole(model: Model, sql: string, inEnvironment: ReadonlySet<string>, environment: string): string {
  if (model.incrementalSince === undefined) return sql;
  const column = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const inputs = model.inputs
    .map((input) => {
      const relation = inEnvironment.has(input.upstream) ? environmentRelation(input.upstream, environment) : input.upstream;
      return `select ${column(input.column)} as key, ${column(input.sinceColumn ?? (model.incrementalSince as string))} as since from ${quoted(relation)}`;
    })
    .join(' union all ');
  const keys = `(select k.key::text as key, min(k.since)::text as since, null::jsonb as previous from (${inputs}) as k where k.key is not null group by k.key)`;
  return sqlTokens(sql)
    .map((token, position, tokens) => {
      if (token.kind !== 'code') return token.text;
      return token.text.replace(FOLD_KEYS, (_match, offset: number) => {
        const after = token.text.slice(offset + _match.length) + (tokens[position + 1]?.kind === 'code' ? '' : ' ');
        return NO_ALIAS.test(after) ? `${keys} as fold_keys` : keys;
      });
    })
    .join('');
}

/**
 * Creates one model in the environment, with its SQL rewritten (transform/environment-sql.ts):
 * a view, materialized view or table as its kind makes it; an incremental model as a table
 * computed whole from its query (by load: of the loads loaded, as the engine folds them), never
 * through the engine (its procedures run as the owner: an environment's SQL runs with the
 * rights of the login that builds it, nothing more). Its key and indexes have production's
 * names, in the environment's schema.
 */
async function createInEnvironment(client: PoolClient, model: Model, sql: string, environment: string): Promise<void> {
  const kind = MODEL_KINDS[model.materialized];
  const target = quoted(environmentRelation(model.name, environment));
  if (kind.fill === 'by-engine') {
    const byLoad =
      model.incrementalBy === 'load_id' ? "\nwhere m.load_id in (select l.load_id from elt_observe.loads as l where l.status = 'loaded')" : '';
    await oneStatement(client, `create table ${target} as\nselect * from (\n${sql}\n) as m${byLoad}`);
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

/** Why a model failed in an environment, with what a login that may not read raw can do about it. */
function failure(model: Model, environment: string, err: unknown): EltError {
  const message = err instanceof Error ? err.message : String(err);
  const raw =
    (err as { code?: unknown }).code === '42501' && /\braw\./.test(model.sql)
      ? " (an analyst reads production's staging, intermediate and marts, not raw: a model reading raw is built by the owner)"
      : '';
  return new EltError(`model ${model.name} (${model.path}) failed to build in environment ${environment}: ${message}${raw}`, ExitCode.modelFailed, {
    cause: err,
  });
}

/**
 * `elt build --env <name>`: builds the models whose checksum differs from production's
 * (elt_observe.models, which an analyst reads too; a model production lacks counts as
 * changed) and every model downstream of them into the environment's schemas
 * (`<layer>__<name>`), each reading the environment's relation of a model it holds and
 * production's of every other (raw is read, never written). The schemas and the record are
 * made by elt.create_environment() (db/procedures/create_environment.sql: the name, the
 * schemas new, the owner this login, production's state, refused while production has loads
 * not yet folded in); an environment of this name is dropped first by elt.drop_environment()
 * (refused unless it is this login's, or this login is the project's owner). The models'
 * SQL then runs as this login, with its rights only: an analyst's model that writes
 * production or grants anything fails with permission denied. Production is read in one
 * snapshot (repeatable read) and not written.
 */
export async function buildEnvironment(pool: Pool, options: { dir: string; environment: string; log: Logger }): Promise<EnvironmentBuildResult> {
  const environment = checkEnvironmentName(options.environment);
  const models = readModels(options.dir);
  const client = await pool.connect();
  try {
    await client.query('begin isolation level repeatable read');
    const { rows: stored } = await client.query<{ name: string; checksum: string }>('select name, checksum from elt_observe.models');
    if (stored.length === 0)
      throw new EltError(`production has no models yet: run elt build first, then elt build --env ${environment}`, ExitCode.usage);
    const checksums = new Map(stored.map((row) => [row.name, row.checksum]));
    const changed = models
      .filter((model) => ![model.checksum, model.legacyChecksum].includes(checksums.get(model.name) ?? ''))
      .map((model) => model.name);
    const inEnvironment = new Set(withDownstream(models, new Set(changed)));
    if (inEnvironment.size === 0) {
      await client.query('rollback');
      return { environment, changed: [], built: [], schemas: [] };
    }
    const ordered = models.filter((model) => inEnvironment.has(model.name));
    if ((await readEnvironments(client, environment))[0] !== undefined) await callEnvironmentFunction(client, 'drop', [environment]);
    const schemas = await callEnvironmentFunction(client, 'create', [
      environment,
      JSON.stringify(Object.fromEntries(ordered.map((model) => [model.name, model.checksum]))),
    ]);
    const built: string[] = [];
    for (const [position, model] of ordered.entries()) {
      const counted = `${position + 1} of ${ordered.length}`;
      const where = environmentRelation(model.name, environment);
      options.log.info(`${counted} START ${MODEL_KINDS[model.materialized].relation} ${where}`, { model: model.name, environment, status: 'start' });
      const started = performance.now();
      try {
        const sql = computedWhole(model, environmentSql(model.name, model.sql, inEnvironment, environment), inEnvironment, environment);
        await createInEnvironment(client, model, sql, environment);
      } catch (err) {
        if (err instanceof EltError) throw err;
        throw failure(model, environment, err);
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
    await client.query('commit');
    return { environment, changed, built, schemas };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
