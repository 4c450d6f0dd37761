import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import type { UmzugStorage } from 'umzug';
import { EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { applyCitusLayout } from './citus';
import { LOCKS } from './lock-names';
import { alsoLock, withLockedTransaction } from './locked-transaction';
import { withLockRetries, type LockWaitOptions } from './lock-wait';
import { applyProcedures, listProcedureFiles } from './procedures';

/** Where umzug keeps which migrations ran: a table in the bookkeeping schema. */
function postgresStorage(client: PoolClient): UmzugStorage {
  return {
    async executed() {
      const { rows } = await client.query<{ name: string }>('select name from elt.migrations order by name');
      return rows.map((row) => row.name);
    },
    async logMigration({ name }) {
      await client.query('insert into elt.migrations (name) values ($1)', [name]);
    },
    async unlogMigration({ name }) {
      await client.query('delete from elt.migrations where name = $1', [name]);
    },
  };
}

/** The `*.sql` files of `dir`, in name order. Each is applied once, as a whole. */
export function listMigrationFiles(dir: string): { name: string; path: string }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => ({ name: file, path: join(dir, file) }));
}

export interface MigrateResult {
  /** the migrations this run applied, in order */
  applied: string[];
  /** what the server said while migrating and granting (e.g. a role it could not create), also logged as warnings */
  notices: string[];
}

/** What the connected role may do with the database's migrations. */
interface MigrationState {
  role: string;
  database: string;
  /** elt.migrations exists */
  migrated: boolean;
  /** elt.locks exists: locks are rows, else (before 0013) the migration lock is an advisory key */
  rowLocks: boolean;
  /** elt.migrations exists and this role may read it */
  mayRead: boolean;
  /** this role may record migrations (the owner), or create the schemas of a fresh database */
  mayMigrate: boolean;
}

/**
 * The grants elt.apply_grants() gives that a project's role lacks (a role that does not
 * exist lacks them all): each privilege on each object, checked one by one
 * (has_table_privilege with a list says whether any is held). The default privileges
 * it sets are not read back: they are set once, with the schema's first grants.
 */
const MISSING_GRANTS = `
  with project_role as (
    select kind, (select oid from pg_roles where rolname = elt.role_name(kind)) as oid
      from unnest(array['loader', 'reader', 'analyst']) as kind
  ),
  schema_table as (
    select c.oid as relation, n.nspname as schema_name
      from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
     where n.nspname in ('raw', 'staging', 'intermediate', 'marts', 'elt_observe') and c.relkind in ('r', 'p', 'v', 'm', 'f')
  ),
  wanted_table (kind, relation, privilege) as (
    select 'loader', relation, privilege
      from schema_table, unnest(array['select', 'insert', 'update', 'delete']) as privilege where schema_name = 'raw'
    union all
    select kind, relation, 'select' from schema_table, unnest(array['reader', 'analyst']) as kind where schema_name in ('marts', 'elt_observe')
    union all
    select 'analyst', relation, 'select' from schema_table where schema_name in ('staging', 'intermediate')
    union all
    select kind, relation::regclass::oid, privilege from (values
        ('loader', 'elt.migrations', 'select'), ('loader', 'elt.project', 'select'), ('loader', 'elt.project', 'insert'),
        ('loader', 'elt.locks', 'select'), ('loader', 'elt.locks', 'insert'), ('loader', 'elt.locks', 'update'),
        ('analyst', 'elt.migrations', 'select'), ('analyst', 'elt.project', 'select'),
        ('analyst', 'elt.settings', 'select'), ('analyst', 'elt.refresh_log', 'select'),
        ('analyst', 'elt.environments', 'select')) as listed (kind, relation, privilege)
  ),
  wanted_schema (kind, schema_name) as (
    values ('loader', 'raw'), ('loader', 'elt'), ('reader', 'marts'), ('reader', 'elt_observe'),
           ('analyst', 'marts'), ('analyst', 'elt_observe'), ('analyst', 'elt'), ('analyst', 'staging'), ('analyst', 'intermediate')
  ),
  missing_grant as (
    select from project_role where oid is null or not has_database_privilege(oid, current_database(), 'connect')
    union all
    select from wanted_table join project_role using (kind) where not has_table_privilege(oid, relation, privilege)
    union all
    select from wanted_schema join project_role using (kind) where not has_schema_privilege(oid, schema_name, 'usage')
    union all
    select from project_role
     where (kind <> 'loader' and not has_function_privilege(oid, 'elt_observe.newest_event_at(text, text)', 'execute'))
        or (kind = 'analyst' and not has_function_privilege(oid, 'elt.refresh_marts(text[])', 'execute'))
        or (kind = 'analyst' and not has_function_privilege(oid, 'elt.create_environment(text, jsonb)', 'execute'))
        or (kind = 'analyst' and not has_function_privilege(oid, 'elt.drop_environment(text)', 'execute'))
    union all
    -- 17 and later: the analyst may not MAINTAIN a mart (a REFRESH without CONCURRENTLY would lock readers out)
    select from schema_table join project_role on kind = 'analyst'
     where schema_name = 'marts'
       and case when current_setting('server_version_num')::int >= 170000 then has_table_privilege(oid, relation, 'maintain') else false end
    union all
    select from pg_class as c join pg_namespace as n on n.oid = c.relnamespace join project_role on kind = 'loader'
     where n.nspname = 'raw' and c.relkind = 'S' and not has_sequence_privilege(project_role.oid, c.oid, 'usage')
  )`;

/**
 * Whether the owner's database is current, checked in one query without a lock or a
 * transaction: every migration file applied, every procedure file applied as it reads
 * now, no Citus layout to apply, and each of the project's roles there and holding every
 * grant elt.apply_grants() gives it (MISSING_GRANTS finds none). Anything else,
 * or any error (an object the check names is missing), and migrate takes its whole
 * path under the lock, as before. Called only when the connected role may record
 * migrations (the owner): others cannot read elt.procedures.
 */
async function isCurrent(pool: Pool, migrationFiles: string[], proceduresDir: string): Promise<boolean> {
  const procedures = listProcedureFiles(proceduresDir);
  try {
    const { rows } = await pool.query<{ current: boolean }>(
      `${MISSING_GRANTS}
       select $1::text[] <@ array(select name from elt.migrations)
              and not exists (select from unnest($2::text[], $3::text[]) as file (name, checksum)
                                left join elt.procedures as applied using (name)
                               where applied.checksum is distinct from file.checksum)
              and not exists (select from pg_extension where extname = 'citus')
              and not exists (select from missing_grant)
              as current`,
      [migrationFiles, procedures.map((file) => file.name), procedures.map((file) => file.checksum)],
    );
    return rows[0]?.current === true;
  } catch {
    return false; // the whole path says what is wrong, under the lock
  }
}

/** The row readState's query returns. */
interface StateRow {
  role: string;
  database: string;
  migrated: boolean;
  row_locks: boolean;
  may_create: boolean;
  may_read: boolean;
  may_write: boolean;
}

async function readState(pool: Pool): Promise<MigrationState> {
  const { rows } = await pool.query<StateRow>(
    `select current_user as role, current_database() as database,
            to_regclass('elt.migrations') is not null as migrated, to_regclass('elt.locks') is not null as row_locks,
            has_database_privilege(current_database(), 'create') as may_create,
            coalesce(has_table_privilege(to_regclass('elt.migrations'), 'select'), false) as may_read,
            coalesce(has_table_privilege(to_regclass('elt.migrations'), 'insert'), false) as may_write`,
  );
  const base = rows[0] as StateRow;
  return {
    role: base.role,
    database: base.database,
    migrated: base.migrated,
    rowLocks: base.row_locks,
    mayMigrate: base.migrated ? base.may_write : base.may_create,
    mayRead: base.may_read,
  };
}

/** The names of the migrations applied (elt.migrations). */
async function appliedMigrations(pool: Pool): Promise<Set<string>> {
  const { rows } = await pool.query<{ name: string }>('select name from elt.migrations');
  return new Set(rows.map((row) => row.name));
}

/**
 * Notices of these migrations are superseded by later ones: 0008 named the server-wide
 * group roles that 0013 replaced with roles per database (whose own notices are kept).
 */
const SUPERSEDED_NOTICES = new Set(['0008_roles.sql']);

/** `create ... if not exists` and `drop ... if exists` chatter, not worth a warning. */
const isChatter = (message: string) => /, skipping$/.test(message);

/**
 * Applies the pending migrations of `dir` with umzug, then (as the owner) the grants of
 * the project's roles, `elt.apply_grants()`, so roles created since get theirs. A role
 * that may not change the schema (the loader) only reads the applied list: nothing
 * pending, nothing done; something pending, an error saying it needs the owner.
 * All migrations run in one transaction together with their state rows, under the
 * migrate lock (a row of elt.locks; on a database without it yet, an advisory key,
 * waited for at most `lockTimeoutSeconds`), so two processes never apply the same
 * migration and a failure leaves nothing half-done. The server's notices are
 * returned and logged as warnings. Once the migrate lock is held, every statement waits
 * at most a short lock_timeout for a lock (an `alter table` behind a reader's open
 * transaction), and the whole transaction is tried again, up to `lockWait.limitSeconds`
 * (db/lock-wait.ts), then fails naming the blocking session.
 *
 * Then, in the same transaction, the procedures and functions (code, not schema
 * history): each file of `proceduresDir` (default `db/procedures` beside the
 * migrations folder) whose text changed since it was last applied is applied whole
 * (`create or replace`), see db/procedures.ts.
 */
export async function migrate(
  pool: Pool,
  options: { dir: string; log: Logger; lockTimeoutSeconds?: number; proceduresDir?: string; lockWait?: LockWaitOptions },
): Promise<MigrateResult> {
  const files = listMigrationFiles(options.dir);
  const proceduresDir = options.proceduresDir ?? join(dirname(options.dir), 'db', 'procedures');
  const state = await readState(pool);
  // the common case, an owner's database already current: one more query, no lock taken
  if (
    state.mayMigrate &&
    state.migrated &&
    (await isCurrent(
      pool,
      files.map((file) => file.name),
      proceduresDir,
    ))
  ) {
    return { applied: [], notices: [] };
  }
  if (!state.mayMigrate) {
    if (!state.migrated) {
      throw new EltError(
        `the database ${state.database} is not migrated and ${state.role} may not create its schemas: run elt migrate as the owner of ${state.database} first`,
        ExitCode.database,
      );
    }
    if (!state.mayRead) {
      throw new EltError(
        `${state.role} may not read elt.migrations: connect as the owner of ${state.database} or a login in one of its roles`,
        ExitCode.database,
      );
    }
    const applied = await appliedMigrations(pool);
    const pending = files.filter((file) => !applied.has(file.name)).map((file) => file.name);
    // procedures follow the code too, but only the owner applies them (a loader does not call them)
    if (pending.length === 0) return { applied: [], notices: [] };
    const many = pending.length > 1;
    throw new EltError(
      `${pending.length} pending migration${many ? 's' : ''} (${pending.join(', ')}) need${many ? '' : 's'} the database owner: ` +
        `run elt migrate as the owner of ${state.database} (connected as ${state.role})`,
      ExitCode.database,
    );
  }
  const lockTimeoutSeconds = options.lockTimeoutSeconds ?? 120;
  const kind = state.rowLocks ? 'row' : 'advisory';
  const result = await withLockRetries(
    pool,
    'elt migrate',
    (arm) =>
      withLockedTransaction(
        pool,
        LOCKS.migrate,
        async (client) => {
          const notices: string[] = [];
          let current = '';
          const onNotice = (notice: { message?: string }) => {
            const message = notice.message ?? '';
            if (!isChatter(message) && !SUPERSEDED_NOTICES.has(current) && !notices.includes(message)) notices.push(message);
          };
          client.on('notice', onNotice);
          try {
            if (kind === 'advisory') {
              const { rows } = await client.query<{ row_locks: boolean; migrated: boolean }>(
                "select to_regclass('elt.locks') is not null as row_locks, to_regclass('elt.migrations') is not null as migrated",
              );
              // a process that migrated while we waited created elt.locks: newer ones lock its row, so do we
              if (rows[0]?.row_locks) await alsoLock(client, LOCKS.migrate, lockTimeoutSeconds);
              if (!rows[0]?.migrated) {
                await client.query('create schema if not exists elt');
                await client.query(
                  'create table if not exists elt.migrations (name text primary key, applied_at timestamptz not null default now())',
                );
              }
            }
            // from here on, a lock a reader stands in the way of (alter table ...) is waited for briefly, then the whole try again
            await arm(client);
            // umzug (and the 40 ms its require takes) only when a migration is pending
            const { rows: done } = await client.query<{ name: string }>('select name from elt.migrations');
            const appliedBefore = new Set(done.map((row) => row.name));
            const pending = files.some((file) => !appliedBefore.has(file.name));
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require, see above
            const { Umzug } = pending ? (require('umzug') as typeof import('umzug')) : { Umzug: undefined };
            const umzug =
              Umzug &&
              new Umzug({
                migrations: files.map(({ name, path }) => ({
                  name,
                  path,
                  up: async () => client.query(readFileSync(path, 'utf8')),
                })),
                storage: postgresStorage(client),
                logger: undefined,
              });
            umzug?.on('migrating', ({ name }) => {
              current = name;
              options.log.info(`applying migration ${name}`);
            });
            let applied: string[] = [];
            try {
              if (umzug) applied = (await umzug.up()).map((migration) => migration.name);
            } catch (err) {
              const root = err instanceof Error && err.cause instanceof Error ? err.cause : err;
              const message = root instanceof Error ? root.message : String(root);
              throw new EltError(`migration ${current} failed: ${message}`, ExitCode.unexpected, { cause: root });
            }
            // each one is logged; which were applied is in elt.procedures
            await applyProcedures(client, proceduresDir, (name) => {
              current = name;
              options.log.info(`applying procedure file ${name}`);
            });
            current = '';
            // on a Citus cluster, what grows with history is distributed (db/citus.ts); elsewhere nothing
            await applyCitusLayout(client, options.log);
            const { rows: grants } = await client.query<{ may: boolean }>(
              "select case when to_regprocedure('elt.apply_grants()') is null then false else has_function_privilege(to_regprocedure('elt.apply_grants()'), 'execute') end as may",
            );
            if (grants[0]?.may) await client.query('select elt.apply_grants()');
            return { applied, notices };
          } finally {
            client.off('notice', onNotice);
          }
        },
        lockTimeoutSeconds,
        kind,
      ),
    { log: options.log, ...options.lockWait },
  );
  for (const notice of result.notices) options.log.warn(notice);
  return result;
}
