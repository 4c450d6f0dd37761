import { main } from '../../cli/main';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

/** `elt build|test|lineage --select` end to end, in process: one database, built once by the first test. */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(() => db.drop());

async function elt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true));
  try {
    const code = await main(args, { ...process.env, DATABASE_URL: db.url, ELT_DEBUG: '' });
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** The models a build's progress lines say it built, in order. */
const builtModels = (stderr: string): string[] => [...stderr.matchAll(/\d+ of \d+ OK \S+(?: view)? (\S+) in/g)].map((match) => match[1] as string);

test('elt build --select +marts.article_performance rebuilds the mart with everything upstream of it (and what reads them), not the other marts alone', async () => {
  expect((await elt(['build'])).code).toBe(0);
  const built = await elt(['build', '--select', '+marts.article_performance']);
  expect(built.stderr).not.toMatch(/no such model/);
  expect(built.code).toBe(0);
  const models = builtModels(built.stderr);
  expect(models).toEqual(expect.arrayContaining(['staging.stg_events', 'intermediate.int_article_days_by_load', 'marts.article_performance']));
  // nothing upstream of category_ctr_daily is selected that it does not share: it is rebuilt only as a reader of stg_events
  expect(models[0]).toBe('staging.stg_events');
});

test('elt build --select article_performance+ (a bare name, dbt style) rebuilds only the mart, the bare name resolved to its schema', async () => {
  const built = await elt(['build', '--select', 'article_performance+']);
  expect(built.code).toBe(0);
  expect(builtModels(built.stderr)).toEqual(['marts.article_performance']);
});

test('elt build --select with a selector method other than path: exits 2 with one line naming what is supported', async () => {
  const refused = await elt(['build', '--select', 'tag:nightly']);
  expect(refused.code).toBe(2);
  expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  expect(refused.stderr).toMatch(/"tag:" is not supported.*path:/);
});

test('elt test --select marts.user_performance runs only the tests that read that mart', async () => {
  const tested = await elt(['test', '--select', 'marts.user_performance']);
  expect(tested.code).toBe(0);
  const names = tested.stdout
    .split('\n')
    .filter((line) => /^(PASS|FAIL|SKIP)/.test(line))
    .map((line) => line.split(/\s+/)[1]);
  expect(names).toEqual(
    expect.arrayContaining(['marts.user_performance.not_null', 'user_performance_sessions_consistent', 'marts_reconcile_with_staging']),
  );
  expect(names.some((name) => name?.includes('article_performance'))).toBe(false);
});

test('elt test --select m --exclude a test-bearing model leaves out the tests reading only excluded models', async () => {
  const tested = await elt(['test', '--select', 'path:models/marts', '--exclude', 'marts.user_performance marts.category_ctr_daily']);
  expect(tested.code).toBe(0);
  expect(tested.stdout).toMatch(/article_performance_cumulative_is_running_sum/);
  expect(tested.stdout).not.toMatch(/user_performance_sessions_consistent/);
});

test('elt lineage --select +marts.user_performance prints only that mart and the models upstream of it', async () => {
  const lineage = await elt(['lineage', '--select', '+marts.user_performance']);
  expect(lineage.code).toBe(0);
  const models = lineage.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(' ')[0]);
  expect(models).toContain('marts.user_performance');
  expect(models).toContain('staging.stg_events');
  expect(models).not.toContain('marts.article_performance');
  expect(models).not.toContain('marts.category_ctr_daily');
});

test('elt refresh --select refreshes the selected marts; a selection with no mart a refresh refreshes exits 2 saying why', async () => {
  const refreshed = await elt(['refresh', '--select', 'path:marts', '--exclude', 'marts.user_performance']);
  expect(refreshed.code).toBe(0);
  const refused = await elt(['refresh', '--select', 'staging.stg_events']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/^elt: error: elt refresh: the selection holds none of the models a refresh refreshes \(marts\./m);
  expect(refused.stderr).not.toMatch(/migrate/);
  const both = await elt(['refresh', 'article_performance', '--select', 'user_performance']);
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/not both/);
});

test('elt lineage --select with an unknown model exits 2 before reading the database, one line', async () => {
  const refused = await elt(['lineage', '--select', '+no_such_mart']);
  expect(refused.code).toBe(2);
  expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^elt: error: --select "\+no_such_mart": no such model \(models: /)]);
});

test('elt build --exclude of a model downstream of a rebuilt one rebuilds it anyway (a view cannot outlive what it reads) and warns', async () => {
  const built = await elt(['build', '--select', 'int_sessions', '--exclude', 'marts.user_performance']);
  expect(built.code).toBe(0);
  expect(builtModels(built.stderr)).toEqual(['intermediate.int_sessions', 'marts.user_performance']);
  expect(built.stderr).toMatch(/warning: marts\.user_performance was rebuilt though excluded/);
});

test('elt build --full --exclude path:marts: every mart reads a rebuilt model, so each is rebuilt anyway, with a warning', async () => {
  const built = await elt(['build', '--full', '--exclude', 'path:marts']);
  expect(built.code).toBe(0);
  expect(built.stderr).toMatch(/warning: marts\.article_performance was rebuilt though excluded/);
});
