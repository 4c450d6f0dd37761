import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../cli/log';
import { listMigrationFiles, migrate } from '../../db/migrate';
import { createTestDatabase, MIGRATIONS_DIR, type TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.drop());

test('migrations apply once each, in name order, and a second run applies nothing', async () => {
  const first = await migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger });
  expect(first.applied).toEqual(listMigrationFiles(MIGRATIONS_DIR).map((m) => m.name));
  expect((await migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger })).applied).toEqual([]);
});

test('two processes migrating at once apply each migration exactly once', async () => {
  const results = await Promise.all([
    migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger }),
    migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger }),
  ]);
  expect(results.map((r) => r.applied.length).sort()).toEqual([0, listMigrationFiles(MIGRATIONS_DIR).length]);
});

test('a failing migration names itself and leaves no earlier migration of the same run applied', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elt-migrations-'));
  writeFileSync(join(dir, '0001_ok.sql'), 'create table public.first_table (id int);');
  writeFileSync(join(dir, '0002_broken.sql'), 'create tabel oops;');
  await expect(migrate(db.pool, { dir, log: silentLogger })).rejects.toThrow(/^migration 0002_broken.sql failed: syntax error/);
  const { rows } = await db.pool.query("select to_regclass('public.first_table') as t");
  expect(rows).toEqual([{ t: null }]);
});
