import type { Pool, PoolClient } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import { checkEnvironmentName } from './environment-name';
import { MODEL_SCHEMAS } from './model-layers';
import type { ProductionState } from './production-state';

/** One row of elt.environments, with what it takes on disk now. */
export interface Environment {
  name: string;
  ownerLogin: string;
  createdAt: Date;
  /** seconds since it was built */
  ageSeconds: number;
  /** bytes of its tables, materialized views and their indexes */
  sizeBytes: number;
  /** the models it holds (production's names), with the checksum each was built from */
  models: Record<string, string>;
  builtFrom: ProductionState;
}

/** The environment `name`'s record, locked for this transaction; undefined when there is none. */
export async function lockEnvironmentRecord(client: PoolClient, name: string): Promise<Environment | undefined> {
  const [found] = await readEnvironments(client, name, true);
  return found;
}

/** Every environment (or the one named), oldest first. `lock`: for update (inside a transaction). */
export async function readEnvironments(db: Pool | PoolClient, name?: string, lock = false): Promise<Environment[]> {
  const { rows } = await db.query<Environment>(
    `select e.name, e.owner_login as "ownerLogin", e.created_at as "createdAt",
            extract(epoch from now() - e.created_at)::float8 as "ageSeconds",
            (select coalesce(sum(pg_total_relation_size(c.oid)), 0)::float8
               from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
              where n.nspname in (select layer || '__' || e.name from unnest($2::text[]) as layer)
                and c.relkind in ('r', 'm')) as "sizeBytes",
            e.models, e.built_from as "builtFrom"
       from elt.environments as e
      where $1::text is null or e.name = $1
      order by e.created_at, e.name
      ${lock ? 'for update of e' : ''}`,
    [name ?? null, [...MODEL_SCHEMAS]],
  );
  return rows;
}

/** The SQLSTATEs elt.create_environment() and elt.drop_environment() refuse with: each a one-line reason for the user. */
const REFUSALS = new Set(['22023', '42501', '42710', '42704', '42P06', '2BP01', '55000']);

/**
 * Calls one of the environments' definer functions (db/procedures/create_environment.sql,
 * drop_environment.sql) on `client`, inside the caller's transaction: their refusals (a
 * name, another login's environment, a schema taken, an object outside depending on it,
 * production not up to date) become one line, exit 2; a login without EXECUTE is told so.
 */
export async function callEnvironmentFunction(client: PoolClient, call: 'create' | 'drop', args: unknown[]): Promise<string[]> {
  const text = call === 'create' ? 'select elt.create_environment($1, $2) as schemas' : 'select elt.drop_environment($1) as schemas';
  const { rows: who } = await client.query<{ login: string }>('select session_user::text as login');
  try {
    const { rows } = await client.query<{ schemas: string[] }>(text, args);
    return rows[0]?.schemas ?? [];
  } catch (err) {
    const { code, message } = err as { code?: string; message?: string };
    if (code === '42501' && /^permission denied for (function|schema elt$)/.test(message ?? '')) {
      throw new EltError(
        `${(who[0] as { login: string }).login} may not ${call === 'create' ? 'build' : 'drop'} environments: only the project's owner and its analyst logins may (docs/analysts/roles.md)`,
        ExitCode.usage,
        { cause: err },
      );
    }
    if (code !== undefined && REFUSALS.has(code)) throw new EltError(message ?? String(err), ExitCode.usage, { cause: err });
    throw err;
  }
}

/**
 * Refuses (exit 2, one line) to read another login's environment (elt diff --env, elt
 * query --env): its relations are that login's, and a view of theirs calling a function
 * of theirs would run it with the reader's rights (the owner's, a Trojan horse).
 */
export async function checkMayRead(db: Pool | PoolClient, environment: Environment): Promise<void> {
  const { rows } = await db.query<{ login: string }>('select session_user::text as login');
  const login = (rows[0] as { login: string }).login;
  if (environment.ownerLogin !== login) {
    throw new EltError(
      `environment ${environment.name} was built by ${environment.ownerLogin}: only that login reads it (its relations are ${environment.ownerLogin}'s, and a view of theirs would run their functions with ${login}'s rights)`,
      ExitCode.usage,
    );
  }
}

/** `elt env drop <name>`: the environment's schemas and its record, in one transaction (elt.drop_environment()); a name never built drops nothing. */
export async function dropEnvironment(pool: Pool, name: string): Promise<string[]> {
  checkEnvironmentName(name);
  const client = await pool.connect();
  try {
    await client.query('begin');
    const dropped = await callEnvironmentFunction(client, 'drop', [name]);
    await client.query('commit');
    return dropped;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
