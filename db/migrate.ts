import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';
import { EltError, ExitCode } from '../cli/errors';
import type { Logger } from '../cli/log';
import { withLockedTransaction } from './locked-transaction';

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

/**
 * Applies the pending migrations of `dir` with umzug. All of them run in one
 * transaction together with their state rows, under an advisory lock, so two
 * processes never apply the same migration and a failure leaves nothing half-done.
 */
export async function migrate(pool: Pool, options: { dir: string; log: Logger }): Promise<{ applied: string[] }> {
  return withLockedTransaction(pool, 'clickstream-elt:migrate', async (client) => {
    await client.query('create schema if not exists elt');
    await client.query(
      'create table if not exists elt.migrations (name text primary key, applied_at timestamptz not null default now())',
    );
    const umzug = new Umzug({
      migrations: listMigrationFiles(options.dir).map(({ name, path }) => ({
        name,
        path,
        up: async () => client.query(readFileSync(path, 'utf8')),
      })),
      storage: postgresStorage(client),
      logger: undefined,
    });
    let current = '';
    umzug.on('migrating', ({ name }) => {
      current = name;
      options.log.info(`applying migration ${name}`);
    });
    try {
      const applied = await umzug.up();
      return { applied: applied.map((migration) => migration.name) };
    } catch (err) {
      const root = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      const message = root instanceof Error ? root.message : String(root);
      throw new EltError(`migration ${current} failed: ${message}`, ExitCode.unexpected, { cause: root });
    }
  });
}
