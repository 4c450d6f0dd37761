import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { formatDataTestResults, readDataTests, runDataTests } from '../../transform/data-tests';
import { refreshMarts } from '../../transform/refresh-marts';
import { insertRawEvents, type LakeRow } from '../helpers/raw-events';
import { runCli } from '../helpers/run-cli';
import { copyOfModels, createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

const ROWS: LakeRow[] = [
  { ts: '2019-02-15 10:00:00 +0000', session: 's1', event: 'my_news_card_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
  { ts: '2019-02-15 10:00:05 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a1', category: 'news' } },
  { ts: '2019-02-16 10:00:00 +0000', session: 's2', event: 'article_viewed', user: 'u2', attributes: { id: 'a1', category: 'news' } },
];

let db: TestDatabase;
let modelsDir: string;
beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  modelsDir = copyOfModels();
  await insertRawEvents(db.pool, ROWS);
});
afterEach(() => db.drop());

function plant(relativePath: string, from: string, to: string): void {
  const path = join(modelsDir, relativePath);
  const sql = readFileSync(path, 'utf8');
  if (!sql.includes(from)) throw new Error(`cannot plant: "${from}" not in ${relativePath}`);
  writeFileSync(path, sql.replace(from, to));
}

test('views get a unique-key test, every model a not-null test, and the singular tests are read from models/tests', () => {
  const names = readDataTests(MODELS_DIR).map((test) => test.name);
  expect(names).toEqual(expect.arrayContaining(['staging.stg_events.unique_key', 'marts.user_performance.not_null', 'marts_reconcile_with_staging']));
  // a unique index already guards the key of tables and materialized views
  expect(names).not.toContain('marts.article_performance.unique_key');
});

test('on correct models every data test passes', async () => {
  await buildModels(db.pool, { dir: modelsDir, log: silentLogger });
  const results = await runDataTests(db.pool, modelsDir);
  expect(results.filter((result) => result.failures > 0)).toEqual([]);
  expect(formatDataTestResults(results)).toMatch(/^\d+ passed, 0 failed$/m);
});

test('a ctr computed wrongly fails the ctr test, naming the model and showing the offending rows', async () => {
  plant('marts/article_performance.sql', 'daily_articles.article_views::numeric / nullif', '2 * daily_articles.article_views::numeric / nullif');
  await buildModels(db.pool, { dir: modelsDir, log: silentLogger });
  const failed = (await runDataTests(db.pool, modelsDir)).filter((result) => result.failures > 0);
  expect(failed.map((result) => [result.test.name, result.test.model, result.failures])).toEqual([
    ['article_performance_ctr_matches_counts', 'marts.article_performance', 1],
  ]);
  expect(failed[0]?.sample).toEqual([{ article_id: 'a1', date: '2019-02-15', card_views: '1', article_views: '1', ctr: '2.0000000000000000' }]);
});

test('a duplicated key fails the unique-key test of a view; a table or mart with duplicated keys refuses to build', async () => {
  writeFileSync(
    join(modelsDir, 'staging', 'stg_event_names.sql'),
    [
      '-- stg_event_names: one row per event name (but the SQL forgets the distinct)',
      '-- grain: one row per event name',
      '-- materialized: view',
      '-- unique_key: event_name',
      'with',
      '',
      'final as (',
      '    select event_name from staging.stg_events',
      ')',
      '',
      'select * from final',
    ].join('\n'),
  );
  await buildModels(db.pool, { dir: modelsDir, log: silentLogger });
  const failed = (await runDataTests(db.pool, modelsDir)).filter((result) => result.failures > 0);
  expect(failed.map((result) => [result.test.name, result.failures])).toEqual([['staging.stg_event_names.unique_key', 1]]);
  expect(failed[0]?.sample).toEqual([{ event_name: 'article_viewed', copies: '2' }]);
  plant('marts/category_ctr_daily.sql', 'select * from final', 'select * from final union all select * from final');
  // the mart is built beside production (marts.category_ctr_daily__new) and refused there, production untouched
  await expect(buildModels(db.pool, { dir: modelsDir, log: silentLogger })).rejects.toThrow(
    /could not create unique index "category_ctr_daily__new_unique_key"/,
  );
});

test('a mart that is stale (raw data arrived after its refresh) fails the reconciliation with staging', async () => {
  await buildModels(db.pool, { dir: modelsDir, log: silentLogger });
  await insertRawEvents(db.pool, [ROWS[1] as LakeRow]);
  const failed = (await runDataTests(db.pool, modelsDir)).filter((result) => result.failures > 0).map((result) => result.test.name);
  expect(failed).toEqual(['marts_reconcile_with_staging']);
  await refreshMarts(db.pool, { dir: modelsDir, log: silentLogger });
  expect((await runDataTests(db.pool, modelsDir)).filter((result) => result.failures > 0)).toEqual([]);
});

test('elt test exits 7 and names the failed test and its model on a planted broken invariant', async () => {
  plant('marts/user_performance.sql', 'count(*) filter (where is_session) as sessions', '-1 as sessions');
  await buildModels(db.pool, { dir: modelsDir, log: silentLogger });
  const result = await runCli(['test', '--models', modelsDir], { env: { ...process.env, DATABASE_URL: db.url } });
  expect(result.code).toBe(7);
  expect(result.stdout).toMatch(/^FAIL {2}user_performance_sessions_consistent +marts\.user_performance: /m);
  expect(result.stderr).toMatch(/elt: error: data test user_performance_sessions_consistent failed on marts\.user_performance: 2 offending row\(s\)/);
});

test("with loadsSince (what elt run passes) a by-load table's tests read only the rows of loads finished since then; without it (elt test) every row", async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  // an old load's row broken by hand, then a new load
  await db.pool.query('update intermediate.int_events set event_name = null where line_no = 2 and load_id = (select min(load_id) from raw.loads)');
  await db.pool.query("update raw.loads set finished_at = now() - interval '1 hour'");
  const since = (await db.pool.query<{ now: Date }>('select clock_timestamp() as now')).rows[0]?.now as Date;
  await insertRawEvents(db.pool, [{ ts: '2019-02-17 10:00:00 +0000', session: 's3', event: 'article_viewed', user: 'u3', attributes: { id: 'a2' } }]);
  await db.pool.query('update raw.loads set finished_at = clock_timestamp() where finished_at is null or finished_at >= $1', [since]);
  await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
  const failuresOf = async (options: { loadsSince?: Date }) =>
    (await runDataTests(db.pool, MODELS_DIR, { skipRawScans: true, ...options }))
      .filter((result) => result.test.name === 'intermediate.int_events.not_null')
      .map((result) => result.failures);
  expect(await failuresOf({ loadsSince: since })).toEqual([0]);
  expect(await failuresOf({})).toEqual([1]);
  // a broken row of the new load is caught either way
  await db.pool.query('update intermediate.int_events set event_name = null where load_id = (select max(load_id) from raw.loads)');
  expect(await failuresOf({ loadsSince: since })).toEqual([1]);
});

test("with loadsSince (what elt run passes) a by-key mart's tests read only the keys the new loads changed; a bad row in a changed key still fails", async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  await db.pool.query("update raw.loads set finished_at = now() - interval '1 hour'");
  const since = (await db.pool.query<{ now: Date }>('select clock_timestamp() as now')).rows[0]?.now as Date;
  // the new load touches article a2 only, on a day (and by a user) of its own
  await insertRawEvents(db.pool, [
    { ts: '2019-02-17 10:00:00 +0000', session: 's3', event: 'my_news_card_viewed', user: 'u3', attributes: { id: 'a2', category: 'news' } },
  ]);
  await db.pool.query('update raw.loads set finished_at = clock_timestamp() where finished_at is null or finished_at >= $1', [since]);
  await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
  // an old key's rows broken by hand: a1 (every test of article_performance reads it) and the day 2019-02-15
  await db.pool.query("update marts.article_performance set ctr = 7, cumulative_article_views = 100 where article_id = 'a1'");
  await db.pool.query("update marts.user_performance set sessions = -1 where date = '2019-02-15'");
  const failuresOf = async (options: { loadsSince?: Date }) =>
    Object.fromEntries(
      (await runDataTests(db.pool, MODELS_DIR, { skipRawScans: true, ...options }))
        .filter((result) => result.failures > 0)
        .map((result) => [result.test.name, result.failures]),
    );
  const everything = {
    article_performance_ctr_matches_counts: 2,
    article_performance_cumulative_is_running_sum: 2,
    user_performance_sessions_consistent: 1,
  };
  expect(await failuresOf({})).toEqual(everything);
  const scoped = await runDataTests(db.pool, MODELS_DIR, { skipRawScans: true, loadsSince: since });
  expect(scoped.filter((result) => result.failures > 0)).toEqual([]);
  expect(scoped.find((result) => result.test.name === 'article_performance_cumulative_is_running_sum')?.scope).toBe('changed keys');
  expect(scoped.find((result) => result.test.name === 'marts.user_performance.not_null')?.scope).toBe('changed keys');
  // a bad row in a changed key (article a2, day 2019-02-17) is caught by the scoped tests
  await db.pool.query("update marts.article_performance set ctr = 7, cumulative_article_views = 100 where article_id = 'a2'");
  await db.pool.query("update marts.user_performance set sessions = -1 where date = '2019-02-17'");
  expect(await failuresOf({ loadsSince: since })).toEqual({
    article_performance_ctr_matches_counts: 1,
    article_performance_cumulative_is_running_sum: 1,
    user_performance_sessions_consistent: 1,
  });
  // and elt test (no loadsSince) still reads every row
  expect(await failuresOf({})).toEqual({
    ...everything,
    article_performance_ctr_matches_counts: 3,
    article_performance_cumulative_is_running_sum: 3,
    user_performance_sessions_consistent: 2,
  });
});
