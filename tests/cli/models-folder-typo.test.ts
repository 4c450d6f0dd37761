import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { readModels } from '../../transform/model-catalog';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

const LAKE = join(__dirname, '..', 'fixtures', 'lake-sample');
const MODELS = readModels(MODELS_DIR).map((model) => model.name);

let db: TestDatabase;
let scratch: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  scratch = mkdtempSync(join(tmpdir(), 'elt-models-typo-'));
});
afterAll(() => db.drop());

const withDb = (): NodeJS.ProcessEnv => ({ ...process.env, DATABASE_URL: db.url });

/** Every model of the real folder is still recorded and still exists in the database. */
async function expectEveryModelIntact(): Promise<void> {
  const { rows } = await db.pool.query<{ name: string; present: boolean }>(
    'select name, to_regclass(name) is not null as present from elt.models order by build_order',
  );
  expect(rows).toEqual(MODELS.map((name) => ({ name, present: true })));
}

/** Exit 2 and one line `elt: error: ...` naming the folder, no stack trace. */
function expectUsageError(result: { code: number | null; stderr: string }, folder: string, reason: RegExp): void {
  expect(result.code).toBe(2);
  const lines = result.stderr
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('elt: error'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(folder);
  expect(lines[0]).toMatch(reason);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).not.toMatch(/dropped model/);
}

test('build --models <a folder that does not exist> is a usage error (exit 2) and drops no model', async () => {
  const missing = join(scratch, 'no-such-models');
  const result = await runCli(['build', '--models', missing], { env: withDb() });
  expectUsageError(result, missing, /does not exist/);
  await expectEveryModelIntact();
});

test('run --models <an empty folder> is a usage error (exit 2) and drops no model', async () => {
  const empty = join(scratch, 'empty');
  mkdirSync(empty);
  const result = await runCli(['run', '--source', LAKE, '--models', empty, '--output-dir', join(scratch, 'out')], { env: withDb() });
  expectUsageError(result, empty, /holds no model/);
  await expectEveryModelIntact();
  // checked before anything was touched: the lake was not loaded either
  expect((await db.pool.query("select to_regclass('raw.loads') is null or not exists (select from raw.loads) as untouched")).rows).toEqual([
    { untouched: true },
  ]);
});

test('build --models <a file, not a folder> is a usage error (exit 2) and drops no model', async () => {
  const file = join(scratch, 'models.sql');
  writeFileSync(file, 'select 1\n');
  const result = await runCli(['build', '--models', file], { env: withDb() });
  expectUsageError(result, file, /not a folder/);
  await expectEveryModelIntact();
});

test('a folder with subfolders but no model file (e.g. models/marts given for models/) is a usage error', async () => {
  const result = await runCli(['build', '--models', join(MODELS_DIR, 'marts')], { env: withDb() });
  expectUsageError(result, join(MODELS_DIR, 'marts'), /holds no model/);
  await expectEveryModelIntact();
});

test.each([['refresh'], ['test'], ['status']])('%s --models <a folder that does not exist> is a usage error (exit 2)', async (command) => {
  const missing = join(scratch, `typo-${command}`);
  const result = await runCli([command, '--models', missing], { env: withDb() });
  expectUsageError(result, missing, /does not exist/);
  await expectEveryModelIntact();
});

test("build --models <another pipeline's folder> (none of the database's models) is a usage error and drops no model", async () => {
  const other = join(__dirname, '..', '..', 'examples', 'web-activity', 'models');
  const result = await runCli(['build', '--models', other], { env: withDb() });
  expectUsageError(result, other, /holds none of the 9 models this database has .*nothing was dropped/);
  await expectEveryModelIntact();
});

test('a model whose file left an existing folder is kept as an orphan and named in the summary; build --prune drops it', async () => {
  const copy = join(scratch, 'models-copy');
  cpSync(MODELS_DIR, copy, { recursive: true });
  rmSync(join(copy, 'marts', 'user_performance.sql'));
  rmSync(join(copy, 'tests'), { recursive: true, force: true });
  const result = await runCli(['build', '--models', copy], { env: withDb() });
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/build +0 built, 8 unchanged, 1 orphaned/);
  expect(result.stdout).toContain('    ORPHANED (no model file; kept, elt build --prune drops them): marts.user_performance');
  expect(result.stderr).toContain(`orphaned model marts.user_performance: its file is no longer in ${copy}; kept as it is`);
  await expectEveryModelIntact();
  const pruned = await runCli(['build', '--models', copy, '--prune'], { env: withDb() });
  expect(pruned.code).toBe(0);
  expect(pruned.stdout).toMatch(/build +0 built, 8 unchanged, 1 pruned/);
  expect(pruned.stdout).toContain('    PRUNED (orphans dropped as asked): marts.user_performance');
  expect((await db.pool.query("select to_regclass('marts.user_performance') as r")).rows).toEqual([{ r: null }]);
});
