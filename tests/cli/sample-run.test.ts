import { join } from 'node:path';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// The real 30-row sample of the lake (shared/data/upday-lake-sample), run end to end
// through the CLI. Expected values were counted by hand from the file:
// 28 displays, 1 click (article -gpe6V_-in4hYf8oM-twaQ, digital_life, never displayed),
// 1 article_closed; 28 users, two of whom have two events in one session.
const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');

let db: TestDatabase;
let first: Awaited<ReturnType<typeof runCli>>;
beforeAll(async () => {
  db = await createTestDatabase();
  first = await runCli(['run', '--source', SAMPLE], { env: { ...process.env, DATABASE_URL: db.url } });
});
afterAll(() => db.drop());

async function rows(sql: string) {
  return (await db.pool.query(sql)).rows;
}

test('elt run on the sample exits 0 and prints a summary on stdout, logs on stderr', () => {
  expect(first.stderr).not.toMatch(/error/i);
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/load\s+1 files: 1 loaded, 0 skipped, 0 failed; 30 rows, 0 rejected/);
  expect(first.stdout).toMatch(/marts\.article_performance\s+27 rows/);
  expect(first.stdout).toMatch(/marts\.user_performance\s+28 rows/);
  expect(first.stdout).toMatch(/marts\.category_ctr_daily\s+9 rows/);
  expect(first.stderr).toMatch(/migrate done in/);
});

test('sample: category_ctr_daily counts every display and the one click per category', async () => {
  expect(
    await rows('select category, date::text, card_views::int, article_views::int, ctr::float8 from marts.category_ctr_daily order by category'),
  ).toEqual([
    { category: 'digital_life', date: '2019-02-15', card_views: 2, article_views: 1, ctr: 0.5 },
    { category: 'fashion_beauty_lifestyle', date: '2019-02-15', card_views: 9, article_views: 0, ctr: 0 },
    { category: 'money_business', date: '2019-02-15', card_views: 1, article_views: 0, ctr: 0 },
    { category: 'music', date: '2019-02-15', card_views: 3, article_views: 0, ctr: 0 },
    { category: 'news', date: '2019-02-15', card_views: 3, article_views: 0, ctr: 0 },
    { category: 'people_shows', date: '2019-02-15', card_views: 2, article_views: 0, ctr: 0 },
    { category: 'politics', date: '2019-02-15', card_views: 6, article_views: 0, ctr: 0 },
    { category: 'sports', date: '2019-02-15', card_views: 1, article_views: 0, ctr: 0 },
    { category: 'technology_science', date: '2019-02-15', card_views: 1, article_views: 0, ctr: 0 },
  ]);
});

test('sample: articles displayed twice, the click without display, and escaped quotes in a title', async () => {
  expect(
    await rows(`select article_id, title, category, card_views::int, article_views::int, cumulative_article_views::int, ctr::float8
                  from marts.article_performance where card_views <> 1 or article_views <> 0 order by article_id`),
  ).toEqual([
    {
      article_id: '-gpe6V_-in4hYf8oM-twaQ',
      title: 'Die Smartphones mit der höchsten Strahlung',
      category: 'digital_life',
      card_views: 0,
      article_views: 1,
      cumulative_article_views: 1,
      ctr: null,
    },
    {
      article_id: '499d7a9e-adfa-4fa0-a398-d4babe40c63c',
      title: '"Gilets jaunes" : vers la fin des manifestations le samedi ?',
      category: 'news',
      card_views: 2,
      article_views: 0,
      cumulative_article_views: 0,
      ctr: 0,
    },
    {
      article_id: 'tSRAqKkSm3ObxYX-ag_KDw',
      title: 'Quelle est l’origine des sirènes ?',
      category: 'music',
      card_views: 2,
      article_views: 0,
      cumulative_article_views: 0,
      ctr: 0,
    },
  ]);
  expect(await rows('select count(*)::int as n, sum(card_views)::int as displays from marts.article_performance')).toEqual([{ n: 27, displays: 28 }]);
});

test('sample: sessions and their lengths per user, including two multi-event sessions', async () => {
  expect(
    await rows(`select user_id, sessions, avg_session_length_seconds::float8 as avg_len, card_views::int, article_views::int, ctr::float8
                  from marts.user_performance where avg_session_length_seconds <> 0 or card_views <> 1 order by user_id`),
  ).toEqual([
    { user_id: '57b30fb9240e85ebba1a083ff2079f80', sessions: '1', avg_len: 0, card_views: 0, article_views: 1, ctr: null },
    { user_id: '739366b08ab6dfebb016823f68518f99', sessions: '1', avg_len: 4.399, card_views: 2, article_views: 0, ctr: 0 },
    { user_id: '7f019e4d4a7938dd18006213bb26bb43', sessions: '1', avg_len: 103.352, card_views: 2, article_views: 0, ctr: 0 },
    { user_id: 'd09d39006ee0b4588c4db9545bfccd5e', sessions: '1', avg_len: 0, card_views: 0, article_views: 0, ctr: null },
  ]);
  expect(await rows(`select count(*)::int as users, sum(sessions)::int as sessions from marts.user_performance where date = '2019-02-15'`)).toEqual([
    { users: 28, sessions: 28 },
  ]);
});

test('a second elt run loads nothing new and leaves every mart identical', async () => {
  const snapshot = async () => ({
    articles: await rows('select * from marts.article_performance order by article_id, date'),
    users: await rows('select * from marts.user_performance order by user_id, date'),
    categories: await rows('select * from marts.category_ctr_daily order by category, date'),
    raw: await rows('select count(*) from raw.raw_events'),
  });
  const before = await snapshot();
  const second = await runCli(['run', '--source', SAMPLE], { env: { ...process.env, DATABASE_URL: db.url } });
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/1 files: 0 loaded, 1 skipped, 0 failed; 0 rows/);
  expect(second.stdout).toMatch(/build\s+0 built, 9 unchanged/);
  expect(await snapshot()).toEqual(before);
});
