import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Client, type Pool, type PoolClient, type QueryArrayConfig } from 'pg';
import { describeError, EltError, ExitCode } from '../core/errors';
import { allowLoginOnWorkers, forgetLoginOnWorkers } from '../db/citus';

/** The columns (in order, names as the server gave them, repeats included) and the rows by position. */
export interface QueryRows {
  columns: string[];
  rows: unknown[][];
}

/** node-postgres runs a text through Parse/Bind/Execute with `queryMode: 'extended'` (not in @types/pg 8.x). */
interface ExtendedQueryArrayConfig extends QueryArrayConfig {
  queryMode: 'extended';
}

/** The predefined role (Postgres 14+) that may read every table and nothing else. */
const READ_ROLE = 'pg_read_all_data';

/** How long the temporary login may log in: it is dropped right after, this only bounds a killed run. */
const TEMPORARY_LOGIN_VALID = '5 minutes';

interface Login {
  /** the session user is, or may become, a superuser: SET ROLE is no barrier for it */
  superuser: boolean;
  /** the session user may SET ROLE pg_read_all_data */
  reader: boolean;
  readRoleExists: boolean;
}

async function loginOf(client: PoolClient): Promise<Login> {
  const { rows } = await client.query<Login>(
    `select exists (select from pg_roles as r where r.rolsuper and pg_has_role(session_user, r.oid, 'member')) as superuser,
            exists (select from pg_roles where rolname = $1) and pg_has_role(session_user, $1, 'member') as reader,
            exists (select from pg_roles where rolname = $1) as "readRoleExists"`,
    [READ_ROLE],
  );
  return rows[0] as Login;
}

/**
 * Runs `sql` on `client` in a read-only transaction, as one statement (the extended
 * protocol: Postgres refuses a text with several), rows by position. The caller must
 * close the connection afterwards: a statement such as `set session characteristics`
 * may have changed the session.
 */
async function runStatement(client: Client | PoolClient, sql: string, role?: string): Promise<QueryRows> {
  await client.query('begin read only');
  if (role) await client.query(`set local role ${role}`);
  const config: ExtendedQueryArrayConfig = { text: sql, rowMode: 'array', queryMode: 'extended' };
  const result = await client.query(config).catch((err: unknown) => {
    const message = describeError(err);
    if ((err as { code?: unknown }).code === '42601' && /multiple commands/.test(message)) {
      throw new EltError('elt query runs one statement; this text has several (run them one at a time, or use psql)', ExitCode.usage, { cause: err });
    }
    throw new EltError(`query failed: ${message}`, ExitCode.usage, { cause: err });
  });
  await client.query('rollback').catch(() => undefined);
  return { columns: (result.fields ?? []).map((field) => field.name), rows: result.rows ?? [] };
}

/**
 * A superuser can take its rights back inside any one statement (`set_config('role', ...)`,
 * `set_config('session_authorization', ...)`, in a `do` block or a select), so for it the
 * statement runs on a connection of its own, logged in as a temporary role that is no
 * superuser and only a member of pg_read_all_data; the role is dropped afterwards.
 */
async function runAsTemporaryReader(admin: PoolClient, url: string, sql: string, stream: (() => Duplex | undefined) | undefined): Promise<QueryRows> {
  const name = `elt_query_${randomBytes(8).toString('hex')}`;
  const password = randomBytes(24).toString('hex');
  let options: string | undefined;
  try {
    // the leftovers of runs that were killed before they could drop theirs
    const { rows: stale } = await admin.query<{ name: string }>(
      `select rolname as name from pg_roles where rolname ~ '^elt_query_[0-9a-f]{16}$' and rolvaliduntil < now()`,
    );
    for (const role of stale) await dropLogin(admin, role.name);
    // quoted by the server (format), valid until a time of the server's clock
    const { rows } = await admin.query<{ statement: string }>(
      `select format('create role %I login nosuperuser nocreatedb nocreaterole noreplication nobypassrls connection limit 1 password %L valid until %L in role %I',
                     $1::text, $2::text, (now() + $3::interval)::text, $4::text) as statement`,
      [name, password, TEMPORARY_LOGIN_VALID, READ_ROLE],
    );
    await admin.query((rows[0] as { statement: string }).statement);
    // databases do not let PUBLIC connect (migrations revoke it): this login may, to this one alone
    await admin
      .query(`select format('grant connect on database %I to %I', current_database(), $1::text) as statement`, [name])
      .then((granted) => admin.query((granted.rows[0] as { statement: string }).statement));
    // on Citus, the coordinator logs in to the workers as this login too
    options = await allowLoginOnWorkers(admin, name, password);
  } catch (err) {
    throw new EltError(`elt query cannot create its temporary read-only login: ${describeError(err)}`, ExitCode.database, { cause: err });
  }
  try {
    const login = new URL(url);
    login.username = name;
    login.password = password;
    const client = new Client({
      connectionString: login.toString(),
      connectionTimeoutMillis: 5000,
      ...(options ? { options } : {}),
      ...(stream ? { stream } : {}),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      throw new EltError(
        `elt query cannot log in as its temporary read-only login ${name} (does pg_hba.conf accept a password for it?): ${describeError(err)}; connect with a DATABASE_URL of a user that is no superuser instead`,
        ExitCode.database,
        { cause: err },
      );
    }
    try {
      return await runStatement(client, sql);
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    await dropLogin(admin, name);
  }
}

/** Drops a temporary login with the privilege it holds on this database (a role with privileges cannot be dropped). */
async function dropLogin(admin: PoolClient, name: string): Promise<void> {
  await forgetLoginOnWorkers(admin, name).catch(() => undefined);
  await admin.query(`drop owned by ${name}`).catch(() => undefined);
  await admin.query(`drop role if exists ${name}`).catch(() => undefined);
}

/**
 * Runs one SQL statement so that it cannot change anything, whatever its text:
 * - one statement only (the extended query protocol: Postgres refuses several);
 * - in a read-only transaction, rolled back, on a connection closed afterwards;
 * - as a role that can only read: a superuser login runs it as a temporary login in
 *   pg_read_all_data (see runAsTemporaryReader), a member of pg_read_all_data as that
 *   role (`set local role`), any other user as itself (still read-only, one statement).
 *
 * @example const { columns, rows } = await runReadOnlyQuery(pool, url, 'select 1 as n');
 */
export async function runReadOnlyQuery(pool: Pool, url: string, sql: string): Promise<QueryRows> {
  const client = await pool.connect();
  let reusable = false;
  try {
    const login = await loginOf(client);
    if (login.superuser) {
      if (!login.readRoleExists) {
        throw new EltError(
          `elt query needs the role ${READ_ROLE} (Postgres 14+) to run a superuser's query as a reader; connect with a DATABASE_URL of a user that is no superuser`,
          ExitCode.database,
        );
      }
      // connects as the pool does (on the embedded server: only to its postmaster, cli/database.ts)
      const result = await runAsTemporaryReader(client, url, sql, pool.options.stream);
      reusable = true;
      return result;
    }
    return await runStatement(client, sql, login.reader ? READ_ROLE : undefined);
  } finally {
    // the statement ran on this connection (or it failed midway): never hand it back to the pool
    client.release(!reusable);
  }
}
