import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { silentLogger } from '../../core/log';
import { migrate } from '../../db/migrate';
import { listLocalObjects } from '../../loader/sources/local-source';
import { loadLake } from '../../loader/load-lake';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, MIGRATIONS_DIR, type TestDatabase } from '../helpers/test-database';
import { createLogins, projectRoles } from '../helpers/logins';

let db: TestDatabase;
const logins = createLogins();
let loaderName: string;
let loader: Pool;
const LAKE = join(__dirname, '..', 'fixtures', 'lake-sample');

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  loaderName = await logins.create('lars', [projectRoles(db.url).loader]);
  loader = logins.pool(db.url, loaderName);
});

afterAll(async () => {
  await logins.endPools();
  await db.drop();
  await logins.dropAll();
  await logins.asAdmin(async (admin) => {
    for (const role of Object.values(projectRoles(db.url))) await admin.query(`drop role if exists "${role}"`);
  });
});

test('a login in the loader role migrates (nothing pending: no DDL) and loads a whole small lake into a database the owner migrated', async () => {
  await expect(migrate(loader, { dir: MIGRATIONS_DIR, log: silentLogger })).resolves.toMatchObject({ applied: [] });
  const summary = await loadLake(loader, listLocalObjects(LAKE), silentLogger);
  expect(summary).toMatchObject({ failed: 0, loaded: readdirSync(LAKE).length });
  // what `elt load` does besides: claim the database for its project
  await expect(loader.query("insert into elt.project (name) values ('clickstream') on conflict (is_singleton) do nothing")).resolves.toBeTruthy();
  await expect(loader.query('select name from elt.project')).resolves.toMatchObject({ rows: [{ name: 'clickstream' }] });
  // and loading again skips what is loaded
  await expect(loadLake(loader, listLocalObjects(LAKE), silentLogger)).resolves.toMatchObject({ failed: 0, loaded: 0 });
});

test('a login in the loader role is told that a pending migration needs the database owner', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elt-migrations-'));
  for (const file of readdirSync(MIGRATIONS_DIR)) copyFileSync(join(MIGRATIONS_DIR, file), join(dir, file));
  writeFileSync(join(dir, '9999_later.sql'), 'create table raw.later (id int);');
  await expect(migrate(loader, { dir, log: silentLogger })).rejects.toThrow(
    new RegExp(
      `^1 pending migration \\(9999_later\\.sql\\) needs the database owner: run elt migrate as the owner of ${new URL(db.url).pathname.slice(1)} \\(connected as ${loaderName}\\)$`,
    ),
  );
});

test('elt load as a login in the loader role works end to end on a migrated database', async () => {
  const result = await runCli(['load', '--source', LAKE], { env: { ...process.env, DATABASE_URL: logins.url(db.url, loaderName) } });
  expect(result.stderr).not.toMatch(/error/);
  expect(result.code).toBe(0);
}, 60_000);
