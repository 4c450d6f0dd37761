import type { Pool, PoolClient } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import { checkEnvironmentName, environmentSchemas } from './environment-name';
import { MODEL_SCHEMAS } from './model-layers';
import type { ProductionState } from './production-state';
import { readDependents } from './relation-dependents';

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

/**
 * Refuses (exit 2, one line) to touch another login's environment: only the login that
 * built it (session_user, recorded as owner_login) or the project's owner (the owner of
 * schema elt) may rebuild or drop it.
 */
export async function checkMayChange(client: PoolClient, environment: Environment): Promise<void> {
  const { rows } = await client.query<{ login: string; owner: boolean }>(
    `select session_user::text as login,
            pg_has_role(current_user, (select nspowner from pg_namespace where nspname = 'elt'), 'member') as owner`,
  );
  const me = rows[0] as { login: string; owner: boolean };
  if (environment.ownerLogin !== me.login && !me.owner) {
    throw new EltError(
      `environment ${environment.name} belongs to ${environment.ownerLogin}: ${me.login} may not change or drop it; nothing was changed`,
      ExitCode.usage,
    );
  }
}

/**
 * Drops the schemas of environment `name` (`<layer>__<name>`) with what they hold. Refused,
 * before anything is dropped, when an object outside them reads one of their relations
 * (a view of production or of another environment: the drop would take it along).
 */
export async function dropEnvironmentSchemas(client: PoolClient, name: string): Promise<string[]> {
  const schemas = environmentSchemas(name);
  const { rows: present } = await client.query<{ schema: string }>(
    'select nspname as schema from pg_namespace where nspname = any($1) order by nspname',
    [schemas],
  );
  const { rows: relations } = await client.query<{ name: string }>(
    `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
      where n.nspname = any($1) and c.relkind in ('r', 'm', 'v')`,
    [schemas],
  );
  const outside = (
    await readDependents(
      client,
      relations.map((row) => row.name),
    )
  ).filter((row) => !schemas.includes(row.dependent.split('.')[0] as string));
  if (outside.length > 0) {
    const first = outside[0] as { relation: string; dependent: string };
    throw new EltError(
      `cannot drop environment ${name}: ${first.dependent} (outside it) reads ${first.relation}: drop it first; nothing was dropped`,
      ExitCode.usage,
    );
  }
  for (const { schema } of present) await client.query(`drop schema "${schema}" cascade`);
  return present.map((row) => row.schema);
}

/** `elt env drop <name>`: the environment's schemas and its record, in one transaction; a name never built drops nothing. */
export async function dropEnvironment(pool: Pool, name: string): Promise<string[]> {
  checkEnvironmentName(name);
  const client = await pool.connect();
  try {
    await client.query('begin');
    const environment = await lockEnvironmentRecord(client, name);
    if (environment === undefined) {
      throw new EltError(`no environment named ${name} (elt env list shows them); nothing was dropped`, ExitCode.usage);
    }
    await checkMayChange(client, environment);
    const dropped = await dropEnvironmentSchemas(client, name);
    await client.query('delete from elt.environments where name = $1', [name]);
    await client.query('commit');
    return dropped;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
