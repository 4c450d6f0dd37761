import { CLICKSTREAM_MODELS } from '../helpers/clickstream-models';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { readModels } from '../../transform/model-catalog';
import { refreshMarts } from '../../transform/refresh-marts';
import { insertRawEvents } from '../helpers/raw-events';
import { copyOfModels, createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
let modelsDir: string;

beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  modelsDir = copyOfModels();
});
afterEach(() => db.drop());

const build = () => buildModels(db.pool, { dir: modelsDir, log: silentLogger });
const ALL: readonly string[] = CLICKSTREAM_MODELS;

function editModel(relativePath: string, edit: (sql: string) => string): void {
  const path = join(modelsDir, relativePath);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
}

test('models are ordered so every model comes after the models it reads', () => {
  const models = readModels(MODELS_DIR);
  expect(models.map((m) => m.name)).toEqual(ALL);
  expect(models.find((m) => m.name === 'marts.user_performance')?.dependsOn.sort()).toEqual([
    'intermediate.int_sessions',
    'intermediate.int_user_days_by_load',
  ]);
});

test('the first build creates every model; a second build with no edits creates none', async () => {
  expect((await build()).built).toEqual(ALL);
  const again = await build();
  expect(again.built).toEqual([]);
  expect(again.unchanged).toEqual(ALL);
});

test('editing an intermediate model rebuilds it and exactly the models downstream of it', async () => {
  await build();
  editModel('intermediate/int_sessions.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  const result = await build();
  expect(result.built).toEqual(['intermediate.int_sessions', 'marts.user_performance']);
  expect(result.unchanged).toEqual(ALL.filter((name) => !result.built.includes(name)));
});

test('editing a mart rebuilds only that mart, and the new SQL is what the mart now holds', async () => {
  await insertRawEvents(db.pool, [
    { ts: '2019-02-15 10:00:00 +0000', session: 's', event: 'my_news_card_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
  ]);
  await build();
  editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final', "select * from final where category <> 'news'"));
  expect((await build()).built).toEqual(['marts.category_ctr_daily']);
  expect((await db.pool.query('select count(*)::int as n from marts.category_ctr_daily')).rows).toEqual([{ n: 0 }]);
});

test('a model dropped by hand is rebuilt, with its downstream', async () => {
  await build();
  await db.pool.query('drop table marts.user_performance');
  expect((await build()).built).toEqual(['marts.user_performance']);
});

test('a view outside the models that reads a mart makes its rebuild fail loudly and changes nothing', async () => {
  await build();
  await db.pool.query('create view public.analyst_view as select * from marts.article_performance');
  editModel('staging/stg_events.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  await expect(build()).rejects.toThrow(/cannot rebuild model marts.article_performance: .*depend/);
  expect((await db.pool.query("select to_regclass('marts.article_performance') is not null as present")).rows).toEqual([{ present: true }]);
  const { rows } = await db.pool.query('select count(*)::int as n from public.analyst_view');
  expect(rows).toEqual([{ n: 0 }]);
});

test('a model with a SQL error fails naming the model and its file, and the previous build stays', async () => {
  await build();
  editModel('marts/user_performance.sql', (sql) => sql.replace('select * from final', 'select * from no_such_cte'));
  await expect(build()).rejects.toThrow(
    /model marts\.user_performance \(.*user_performance\.sql\) failed to build: relation "no_such_cte" does not exist/,
  );
  expect((await db.pool.query("select to_regclass('marts.user_performance') is not null as present")).rows).toEqual([{ present: true }]);
});

test('a model reading a relation that is not a model is refused before touching the database', () => {
  editModel('marts/user_performance.sql', (sql) => sql.replace('from intermediate.int_sessions', 'from intermediate.int_nothing'));
  expect(() => readModels(modelsDir)).toThrow('model marts.user_performance reads intermediate.int_nothing, which is not a model');
});

test('refresh brings new raw rows into the marts, concurrently once populated', async () => {
  await build();
  await insertRawEvents(db.pool, [
    { ts: '2019-02-15 10:00:00 +0000', session: 's', event: 'article_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
  ]);
  expect((await db.pool.query('select count(*)::int as n from marts.article_performance')).rows).toEqual([{ n: 0 }]);
  const refreshed = await refreshMarts(db.pool, { dir: modelsDir, log: silentLogger });
  expect(refreshed.map((m) => [m.name, m.rows, m.refreshed])).toEqual([
    ['marts.article_performance', 1, true],
    ['marts.category_ctr_daily', 1, true],
    ['marts.user_performance', 1, true],
  ]);
});

test('marts carry a unique index on their key (needed for concurrent refresh)', async () => {
  await build();
  const { rows } = await db.pool.query(
    `select indexrelid::regclass::text as index from pg_index where indisunique and indrelid = 'marts.article_performance'::regclass`,
  );
  expect(rows).toEqual([{ index: 'marts.article_performance_unique_key' }]);
});
