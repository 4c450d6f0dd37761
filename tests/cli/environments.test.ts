import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { runInProcess } from '../helpers/run-in-process';
import { copyOfModels, createTestDatabase, type TestDatabase } from '../helpers/test-database';

// elt build --env, elt env list / drop and the environments in elt status, from the command
// line, in order on one database: production built from the sample lake, one mart edited.

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');
let db: TestDatabase;
let modelsDir: string;

const elt = (args: string[]) => runInProcess(args, { ...process.env, DATABASE_URL: db.url, ELT_DEBUG: '' });
const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('elt: error'));

beforeAll(async () => {
  db = await createTestDatabase();
  modelsDir = copyOfModels();
  expect((await elt(['run', '--source', SAMPLE, '--models', modelsDir])).code).toBe(0);
  const path = join(modelsDir, 'marts', 'category_ctr_daily.sql');
  writeFileSync(path, readFileSync(path, 'utf8').replace('select * from final', 'select * from final where card_views > 1'));
}, 120_000);
afterAll(() => db.drop());

test('elt build --env dev builds the edited mart beside production and says where', async () => {
  const built = await elt(['build', '--env', 'dev', '--models', modelsDir]);
  expect(built.code).toBe(ExitCode.ok);
  expect(built.stdout).toBe(
    'environment dev: built 1 model(s) in marts__dev (changed: marts.category_ctr_daily; the others read production)\n  marts__dev.category_ctr_daily\n',
  );
  expect(built.stderr).toMatch(/1 of 1 OK table marts__dev.category_ctr_daily in /);
});

test('elt env list shows the environment with its owner, age, size and models; elt status shows it too', async () => {
  const list = await elt(['env', 'list']);
  expect(list.code).toBe(ExitCode.ok);
  expect(list.stdout).toMatch(/^environment\s+owner\s+age\s+size\s+models\n-+.*\ndev\s+\S+\s+\d+s\s+\d+(\.\d)? kB\s+marts\.category_ctr_daily\n$/);
  const status = await elt(['status']);
  expect(status.stdout).toMatch(/^environments \(elt env list, elt env drop <name>\):\nenvironment .*\n.*\ndev .*marts\.category_ctr_daily$/m);
});

test.each([
  ['an upper-case name', ['build', '--env', 'Dev']],
  ['a name with SQL', ['build', '--env', 'x;drop schema marts']],
  ['a name that is a production schema plus a suffix', ['env', 'drop', 'marts__x']],
])('%s is refused with one line, exit 2, and nothing changes', async (_case, args) => {
  const refused = await elt([...args, ...(args[0] === 'build' ? ['--models', modelsDir] : [])]);
  expect(refused.code).toBe(ExitCode.usage);
  expect(errorLines(refused.stderr)).toEqual([expect.stringMatching(/environment name .* is not lower-case letters/)]);
  expect((await db.pool.query("select count(*)::int as n from pg_namespace where nspname like '%\\_\\_%'")).rows).toEqual([{ n: 1 }]);
});

test('elt diff --env dev: the rows the edit filtered out are only in production; exit 14 as they differ', async () => {
  const compared = await elt(['diff', '--env', 'dev', '--models', modelsDir]);
  expect(compared.code).toBe(ExitCode.differs);
  expect(compared.stdout).toMatch(
    /^marts\.category_ctr_daily \(key: category, date\): [1-9]\d* same, [1-9]\d* only in production, 0 only in dev, 0 changed\n {2}only in production:\n( {4}category=.*\n)+$/,
  );
  const none = await elt(['diff', '--models', modelsDir]);
  expect([none.code, errorLines(none.stderr)]).toEqual([
    ExitCode.usage,
    ['elt: error: elt diff needs --env <name>: the environment to compare with production'],
  ]);
});

test('elt query --env dev reads the models the environment holds from it, the others from production; an unknown environment is exit 2', async () => {
  const counts = 'select (select count(*) from marts.category_ctr_daily) as mart, (select count(*) from marts.article_performance) as other';
  const production = await db.pool.query<{ mart: string; other: string }>(counts);
  const inDev = await db.pool.query<{ mart: string }>('select count(*) as mart from marts__dev.category_ctr_daily');
  expect(inDev.rows[0]?.mart).not.toBe(production.rows[0]?.mart);
  const queried = await elt(['query', '--env', 'dev', '--csv', counts]);
  expect([queried.code, queried.stdout]).toEqual([ExitCode.ok, `mart,other\n${inDev.rows[0]?.mart},${production.rows[0]?.other}\n`]);
  const unknown = await elt(['query', '--env', 'deb', counts]);
  expect([unknown.code, errorLines(unknown.stderr)]).toEqual([ExitCode.usage, ['elt: error: no environment named deb (elt env list shows them)']]);
  const hidden = await elt(['query', '--env', 'dev', 'select * from "marts".category_ctr_daily']);
  expect([hidden.code, errorLines(hidden.stderr)]).toEqual([
    ExitCode.modelFailed,
    [expect.stringMatching(/^elt: error: the query: write each model it reads as schema.relation, unquoted/)],
  ]);
});

test('elt refresh --env dev recomputes dev on the loads production folded since it was built (a new day reaches marts__dev); refused while production has loads not folded, and for an environment never built', async () => {
  const dayRows = "select count(*)::int as n from marts__dev.category_ctr_daily where date = '2019-02-16'";
  expect((await db.pool.query(dayRows)).rows).toEqual([{ n: 0 }]);
  // one more day in production: the sample's events a day later, as a file of their own
  const lake = mkdtempSync(join(tmpdir(), 'elt-env-refresh-'));
  writeFileSync(join(lake, '2019-02-16.tsv'), readFileSync(join(SAMPLE, '2019-02-15.tsv'), 'utf8').replaceAll('2019-02-15 ', '2019-02-16 '));
  try {
    expect((await elt(['load', '--source', lake])).code).toBe(ExitCode.ok);
    const early = await elt(['refresh', '--env', 'dev', '--models', modelsDir]);
    expect([early.code, errorLines(early.stderr)]).toEqual([
      ExitCode.usage,
      [expect.stringMatching(/^elt: error: production has loads not yet folded into its models: run elt refresh/)],
    ]);
    expect((await elt(['refresh', '--models', modelsDir])).code).toBe(ExitCode.ok);
    const refreshed = await elt(['refresh', '--env', 'dev', '--models', modelsDir]);
    expect([refreshed.code, refreshed.stdout]).toEqual([
      ExitCode.ok,
      'environment dev: recomputed 1 model(s) on the loads production has folded\n  marts__dev.category_ctr_daily\n',
    ]);
    // dev holds the new day as its edit computes it: production's rows of that day with more than one display
    const expected = await db.pool.query("select count(*)::int as n from marts.category_ctr_daily where date = '2019-02-16' and card_views > 1");
    expect((await db.pool.query(dayRows)).rows).toEqual(expected.rows);
    expect((expected.rows[0] as { n: number }).n).toBeGreaterThan(0);
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
  const never = await elt(['refresh', '--env', 'deb', '--models', modelsDir]);
  expect([never.code, errorLines(never.stderr)]).toEqual([ExitCode.usage, ['elt: error: no environment named deb (elt env list shows them)']]);
  expect((await db.pool.query("select count(*)::int as n from pg_namespace where nspname like '%\\_\\_deb'")).rows).toEqual([{ n: 0 }]);
});

test('elt test --env dev runs the data tests on the relations the environment holds, production for the rest: a test the edit breaks fails only in dev (exit 7), the reverse only in production', async () => {
  const testFile = join(modelsDir, 'tests', 'single_view_days.sql');
  const reconcile = join(modelsDir, 'tests', 'marts_reconcile_with_staging.sql');
  const run = (env: string[]) => elt(['test', ...env, '--models', modelsDir, '--select', 'marts.category_ctr_daily']);
  try {
    // passes in production (it keeps the category-days of one view), fails in dev (the edit drops them)
    writeFileSync(
      testFile,
      '-- test: the category-days of a single view are kept\n-- model: marts.category_ctr_daily\nselect 1 as missing where not exists (select 1 from marts.category_ctr_daily where card_views <= 1)\n',
    );
    const production = await run([]);
    expect([production.code, production.stdout]).toEqual([ExitCode.ok, expect.stringMatching(/^PASS {2}single_view_days /m)]);
    const inDev = await run(['--env', 'dev']);
    expect([inDev.code, inDev.stdout]).toEqual([ExitCode.dataTestsFailed, expect.stringMatching(/^FAIL {2}single_view_days /m)]);
    expect(production.stdout).toMatch(/^PASS {2}marts_reconcile_with_staging /m);
    // the project's own reconciliation sees the rows the edit dropped, in dev only
    expect(inDev.stdout).toMatch(/^FAIL {2}marts_reconcile_with_staging /m);
    expect(errorLines(inDev.stderr)).toEqual([
      'elt: error: data test marts_reconcile_with_staging failed on marts.article_performance, marts.user_performance, marts.category_ctr_daily: 1 offending row(s)',
      'elt: error: data test single_view_days failed on marts.category_ctr_daily: 1 offending row(s)',
    ]);
    // the reverse: fails in production, passes in dev (the reconciliation, which the edit breaks, set aside)
    renameSync(reconcile, `${reconcile}.aside`);
    writeFileSync(
      testFile,
      '-- test: every category-day had more than one view\n-- model: marts.category_ctr_daily\nselect * from marts.category_ctr_daily where card_views <= 1\n',
    );
    const reversed = await run([]);
    expect([reversed.code, reversed.stdout]).toEqual([ExitCode.dataTestsFailed, expect.stringMatching(/^FAIL {2}single_view_days /m)]);
    const reversedInDev = await run(['--env', 'dev']);
    expect([reversedInDev.code, reversedInDev.stdout]).toEqual([ExitCode.ok, expect.stringMatching(/^PASS {2}single_view_days /m)]);
    expect(reversedInDev.stdout).not.toMatch(/^FAIL/m);
    // a test hiding a reference from the rewriter would read production: it fails, naming the test
    writeFileSync(testFile, '-- test: hidden\n-- model: marts.category_ctr_daily\nselect * from "marts".category_ctr_daily where card_views <= 1\n');
    const hidden = await run(['--env', 'dev']);
    expect([hidden.code, hidden.stdout]).toEqual([
      ExitCode.dataTestsFailed,
      expect.stringMatching(/^ {6}the test query failed: data test single_view_days: write each model it reads as schema.relation, unquoted/m),
    ]);
  } finally {
    rmSync(testFile, { force: true });
    if (existsSync(`${reconcile}.aside`)) renameSync(`${reconcile}.aside`, reconcile);
  }
});

test('elt lineage --env dev and elt docs --env dev show the models as dev holds them, marked, the site in its own folder', async () => {
  const lineage = await elt(['lineage', '--env', 'dev', '--models', modelsDir]);
  expect(lineage.code).toBe(ExitCode.ok);
  expect(lineage.stdout).toMatch(/^marts\.category_ctr_daily \(environment dev: marts__dev\.category_ctr_daily\) <- \S/m);
  expect(lineage.stdout).toMatch(/^marts\.article_performance <- /m);
  expect(lineage.stdout.match(/\(environment dev/g)).toHaveLength(1);
  const mermaid = await elt(['lineage', '--env', 'dev', '--mermaid', '--models', modelsDir]);
  expect(mermaid.stdout).toMatch(/marts_category_ctr_daily\["marts\.category_ctr_daily \(environment dev\)"\]/);
  const out = mkdtempSync(join(tmpdir(), 'elt-env-docs-'));
  try {
    const docs = await runInProcess(['docs', '--env', 'dev', '--models', modelsDir, '--no-tests'], {
      ...process.env,
      DATABASE_URL: db.url,
      ELT_DEBUG: '',
      ELT_OUTPUT_DIR: out,
    });
    expect([docs.code, docs.stdout]).toEqual([ExitCode.ok, `${join(out, 'docs__dev', 'index.html')}\n`]);
    expect(existsSync(join(out, 'docs'))).toBe(false);
    const html = readFileSync(join(out, 'docs__dev', 'index.html'), 'utf8');
    expect(html).toContain('environment dev: <code>marts__dev.category_ctr_daily</code>');
    expect(html.match(/environment dev: <code>/g)).toHaveLength(1);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.each([
  ['test', []],
  ['lineage', []],
  ['docs', ['--no-tests']],
])("elt %s --env: a name never built, a bad name and another login's environment are refused with one line, exit 2", async (command, extra) => {
  const run = (env: string) => elt([command, '--env', env, '--models', modelsDir, ...extra]);
  const unknown = await run('deb');
  expect([unknown.code, errorLines(unknown.stderr)]).toEqual([ExitCode.usage, ['elt: error: no environment named deb (elt env list shows them)']]);
  const bad = await run('Dev;drop');
  expect([bad.code, errorLines(bad.stderr)]).toEqual([
    ExitCode.usage,
    [expect.stringMatching(/^elt: error: environment name "Dev;drop" is not lower-case/)],
  ]);
  await db.pool.query("update elt.environments set owner_login = 'someone_else' where name = 'dev'");
  try {
    const other = await run('dev');
    expect([other.code, errorLines(other.stderr)]).toEqual([
      ExitCode.usage,
      [expect.stringMatching(/^elt: error: environment dev was built by someone_else: only that login reads it/)],
    ]);
  } finally {
    await db.pool.query("update elt.environments set owner_login = session_user where name = 'dev'");
  }
});

test('a mistyped name drops nothing: one line, exit 2', async () => {
  const refused = await elt(['env', 'drop', 'deb']);
  expect(refused.code).toBe(ExitCode.usage);
  expect(errorLines(refused.stderr)).toEqual(['elt: error: no environment named deb (elt env list shows them); nothing was dropped']);
  expect((await db.pool.query("select to_regclass('marts__dev.category_ctr_daily') is not null as kept")).rows).toEqual([{ kept: true }]);
});

test('elt env drop dev drops its schemas and record; elt env list then says there is none', async () => {
  const dropped = await elt(['env', 'drop', 'dev']);
  expect(dropped.code).toBe(ExitCode.ok);
  expect(dropped.stdout).toBe('dropped environment dev (schemas marts__dev)\n');
  expect((await elt(['env', 'list'])).stdout).toBe('no environments (elt build --env <name> makes one)\n');
  expect((await elt(['status'])).stdout).not.toMatch(/^environments/m);
});

test('elt promote --env dev: production takes the edited mart, the environment is gone, a build then has nothing to do; without --env, exit 2', async () => {
  const none = await elt(['promote', '--models', modelsDir]);
  expect([none.code, errorLines(none.stderr)]).toEqual([
    ExitCode.usage,
    ['elt: error: elt promote needs --env <name>: the environment production takes the models of'],
  ]);
  expect((await elt(['build', '--env', 'dev', '--models', modelsDir])).code).toBe(ExitCode.ok);
  const promoted = await elt(['promote', '--env', 'dev', '--models', modelsDir]);
  expect([promoted.code, promoted.stdout]).toEqual([
    ExitCode.ok,
    'promoted environment dev: production took 1 model(s) (marts.category_ctr_daily); dropped marts__dev\n',
  ]);
  expect((await db.pool.query('select count(*)::int as n from marts.category_ctr_daily where card_views <= 1')).rows).toEqual([{ n: 0 }]);
  expect((await elt(['diff', '--env', 'dev', '--models', modelsDir])).code).toBe(ExitCode.usage);
  expect((await elt(['build', '--models', modelsDir])).stderr).not.toMatch(/START/);
});
