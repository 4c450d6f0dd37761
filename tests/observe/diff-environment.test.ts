import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EltError, ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { diffEnvironment, formatDiff, martDiffers } from '../../observe/diff-environment';
import { buildEnvironment } from '../../transform/build-environment';
import { buildModels } from '../../transform/build-models';
import { dropEnvironment, readEnvironments } from '../../transform/environments';
import { insertRawEvents } from '../helpers/raw-events';
import { copyOfModels, createTestDatabase, type TestDatabase } from '../helpers/test-database';

// elt diff --env: a hand-made change to a mart's SQL alters exactly known rows, and the
// diff reports exactly those, by the mart's key, column by column.

let db: TestDatabase;
let modelsDir: string;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  // category_ctr_daily in production: news 2019-02-15 (1 display, 1 click), sport 2019-02-15 and 2019-02-16 (1 display each)
  await insertRawEvents(db.pool, [
    { ts: '2019-02-15 10:00:00 +0000', session: 's1', event: 'my_news_card_viewed', user: 'u1', attributes: { id: 'a', category: 'news' } },
    { ts: '2019-02-15 10:01:00 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a', category: 'news' } },
    { ts: '2019-02-15 11:00:00 +0000', session: 's2', event: 'top_news_card_viewed', user: 'u2', attributes: { id: 'b', category: 'sport' } },
    { ts: '2019-02-16 09:00:00 +0000', session: 's3', event: 'top_news_card_viewed', user: 'u2', attributes: { id: 'b', category: 'sport' } },
  ]);
});
afterAll(() => db.drop());

beforeEach(async () => {
  modelsDir = copyOfModels();
  await buildModels(db.pool, { dir: modelsDir, log: silentLogger });
  for (const environment of await readEnvironments(db.pool)) await dropEnvironment(db.pool, environment.name);
});

function editMart(file: string, edit: (sql: string) => string): void {
  const path = join(modelsDir, 'marts', file);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
}

const diff = (models?: string[]) => diffEnvironment(db.pool, { dir: modelsDir, environment: 'dev', models });

test('a hand-made change drops one row, adds one and changes one value: the diff reports exactly those', async () => {
  editMart('category_ctr_daily.sql', (sql) =>
    sql.replace(
      'select * from final',
      `select category, date,
              case when category = 'sport' and date = date '2019-02-16' then card_views + 10 else card_views end as card_views,
              article_views, ctr
         from final where category <> 'news'
       union all
       select 'extra', date, card_views, article_views, ctr from final where category = 'sport' and date = date '2019-02-15'`,
    ),
  );
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'dev', log: silentLogger });
  const [result] = await diff();
  expect(result).toEqual({
    model: 'marts.category_ctr_daily',
    key: ['category', 'date'],
    same: 1,
    onlyInProduction: 1,
    onlyInEnvironment: 1,
    changed: 1,
    columnsAdded: [],
    columnsRemoved: [],
    examples: {
      onlyInProduction: [{ category: 'news', date: '2019-02-15', card_views: '1', article_views: '1', ctr: '1.00000000000000000000' }],
      onlyInEnvironment: [{ category: 'extra', date: '2019-02-15', card_views: '1', article_views: '0', ctr: '0.00000000000000000000' }],
      changed: [{ key: { category: 'sport', date: '2019-02-16' }, columns: [{ column: 'card_views', production: '1', environment: '11' }] }],
    },
  });
  expect(martDiffers(result as NonNullable<typeof result>)).toBe(true);
  expect(formatDiff([result as NonNullable<typeof result>], 'dev')).toBe(
    [
      'marts.category_ctr_daily (key: category, date): 1 same, 1 only in production, 1 only in dev, 1 changed',
      '  only in production:',
      '    category=news date=2019-02-15 card_views=1 article_views=1 ctr=1.00000000000000000000',
      '  only in dev:',
      '    category=extra date=2019-02-15 card_views=1 article_views=0 ctr=0.00000000000000000000',
      '  changed (production -> dev):',
      '    category=sport date=2019-02-16: card_views 1 -> 11',
      '',
    ].join('\n'),
  );
});

test('a change that alters no row (a filter that keeps them all) reports every row the same', async () => {
  editMart('user_performance.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'dev', log: silentLogger });
  const [result] = await diff();
  expect(result).toMatchObject({ model: 'marts.user_performance', onlyInProduction: 0, onlyInEnvironment: 0, changed: 0, same: 3 });
  expect(martDiffers(result as NonNullable<typeof result>)).toBe(false);
});

test('a column added in the environment is reported, the others compared', async () => {
  editMart('category_ctr_daily.sql', (sql) => sql.replace('select * from final', "select *, 'x' as note from final"));
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'dev', log: silentLogger });
  const [result] = await diff(['category_ctr_daily']);
  expect(result).toMatchObject({ columnsAdded: ['note'], columnsRemoved: [], same: 3, changed: 0 });
  expect(martDiffers(result as NonNullable<typeof result>)).toBe(true);
});

test.each([
  ['an environment that does not exist', 'dev', [], /^no environment named dev/],
  ['a mart the environment does not hold', 'dev', ['article_performance'], /^marts.article_performance is not a mart of environment dev/],
  ['a hostile environment name', "dev'; drop schema marts; --", [], /^environment name .* is not lower-case letters/],
])('%s is a usage error naming it, nothing read', async (_case, environment, models, message) => {
  if (_case !== 'an environment that does not exist') {
    editMart('category_ctr_daily.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
    await buildEnvironment(db.pool, { dir: modelsDir, environment: 'dev', log: silentLogger });
  }
  const failure = await diffEnvironment(db.pool, { dir: modelsDir, environment, models }).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(EltError);
  expect((failure as EltError).exitCode).toBe(ExitCode.usage);
  expect((failure as EltError).message).toMatch(message);
});
