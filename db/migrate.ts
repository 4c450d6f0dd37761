import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';
import { EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { applyCitusLayout } from './citus';
import { LOCKS } from './lock-names';
import { alsoLock, withLockedTransaction } from './locked-transaction';
import { withLockRetries, type LockWaitOptions } from './lock-wait';
import { applyProcedures } from './procedures';

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
  /** the applied migrations, when elt.migrations exists and this role may read it */
  applied?: Set<string>;
  /** this role may record migrations (the owner), or create the schemas of a fresh database */
  mayMigrate: boolean;
}

async function readState(pool: Pool): Promise<MigrationState> {
  const { rows } = await pool.query<{ role: string; database: string; migrated: boolean; row_locks: boolean; may_create: boolean }>(
    `select current_user as role, current_database() as database,
            to_regclass('elt.migrations') is not null as migrated, to_regclass('elt.locks') is not null as row_locks,
            has_database_privilege(current_database(), 'create') as may_create`,
  );
  const base = rows[0] as { role: string; database: string; migrated: boolean; row_locks: boolean; may_create: boolean };
  const state: MigrationState = {
    role: base.role,
    database: base.database,
    migrated: base.migrated,
    rowLocks: base.row_locks,
    mayMigrate: base.may_create,
  };
  if (!base.migrated) return state;
  const { rows: rights } = await pool.query<{ may_read: boolean; may_write: boolean }>(
    "select has_table_privilege('elt.migrations', 'select') as may_read, has_table_privilege('elt.migrations', 'insert') as may_write",
  );
  state.mayMigrate = rights[0]?.may_write === true;
  if (rights[0]?.may_read) {
    const { rows: names } = await pool.query<{ name: string }>('select name from elt.migrations');
    state.applied = new Set(names.map((row) => row.name));
  }
  return state;
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
  if (!state.mayMigrate) {
    if (!state.migrated) {
      throw new EltError(
        `the database ${state.database} is not migrated and ${state.role} may not create its schemas: run elt migrate as the owner of ${state.database} first`,
        ExitCode.database,
      );
    }
    if (!state.applied) {
      throw new EltError(
        `${state.role} may not read elt.migrations: connect as the owner of ${state.database} or a login in one of its roles`,
        ExitCode.database,
      );
    }
    const pending = files.filter((file) => !state.applied?.has(file.name)).map((file) => file.name);
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
            const umzug = new Umzug({
              migrations: files.map(({ name, path }) => ({
                name,
                path,
                up: async () => client.query(readFileSync(path, 'utf8')),
              })),
              storage: postgresStorage(client),
              logger: undefined,
            });
            umzug.on('migrating', ({ name }) => {
              current = name;
              options.log.info(`applying migration ${name}`);
            });
            let applied: string[];
            try {
              applied = (await umzug.up()).map((migration) => migration.name);
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
