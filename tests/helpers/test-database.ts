import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool, types } from 'pg';
import { silentLogger } from '../../core/log';
import { migrate } from '../../db/migrate';

/** A fresh database of its own for one test file, on the test server. */
export interface TestDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

// dates as 'YYYY-MM-DD' strings (not JS Dates shifted to the local zone), so expected rows read as written
types.setTypeParser(1082, (value: string) => value);

let counter = 0;

export function serverUrl(): string {
  const url = process.env.ELT_TEST_DATABASE_URL;
  if (!url) throw new Error('ELT_TEST_DATABASE_URL is not set: run the tests through jest (tests/setup/global-setup.mjs)');
  return url;
}

/** Creates an empty database named after the test process; `migrated` also applies migrations/. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  counter += 1;
  const name = `elt_test_${process.pid}_${counter}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: 6 });
  pool.on('error', () => undefined);
  if (options.migrated) await migrate(pool, { dir: join(__dirname, '..', '..', 'migrations'), log: silentLogger });
  return {
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      const cleanup = new Client({ connectionString: serverUrl() });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      // the roles the migrations made for this database (roles are server-wide: they would pile up)
      await cleanup.query(`drop role if exists ${name}_reader, ${name}_analyst, ${name}_loader`).catch(() => undefined);
      await cleanup.end();
    },
  };
}

export const MIGRATIONS_DIR = join(__dirname, '..', '..', 'migrations');
export const MODELS_DIR = join(__dirname, '..', '..', 'models');

/** A copy of the package's models folder in a fresh temporary folder, for a test to edit. */
export function copyOfModels(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elt-models-'));
  cpSync(MODELS_DIR, dir, { recursive: true });
  return dir;
}
