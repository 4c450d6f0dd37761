import { join } from 'node:path';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { createLogins, projectRoles } from '../helpers/logins';

// What each role may do, through the CLI as its users would: the owner runs the
// pipeline once; then a loader-only job loads and an analyst refreshes, each logged
// in as a member of this database's own role.

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');
const logins = createLogins();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  const owner = await runCli(['run', '--source', SAMPLE], { env: { ...process.env, DATABASE_URL: db.url } });
  expect(owner.code).toBe(0);
}, 90_000);
afterAll(async () => {
  await logins.endPools();
  await db.drop();
  await logins.dropAll();
});

test('an analyst login runs elt refresh (the stored settings, the claimed project, the refresh procedure)', async () => {
  const analyst = await logins.create('cli_analyst', [projectRoles(db.url).analyst]);
  const result = await runCli(['refresh'], { env: { ...process.env, DATABASE_URL: logins.url(db.url, analyst) } });
  expect(result.stderr).not.toMatch(/error/);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/refresh +3 of 3 marts refreshed/);
});

test('a loader login runs elt load once the owner has migrated', async () => {
  const loader = await logins.create('cli_loader', [projectRoles(db.url).loader]);
  const result = await runCli(['load', '--source', SAMPLE], { env: { ...process.env, DATABASE_URL: logins.url(db.url, loader) } });
  expect(result.stderr).not.toMatch(/error/);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/1 files: 0 loaded, 1 skipped/);
});
