import { useModelDatabase } from './model-test-kit';

// The incremental by-load models: int_events (typed events) and the daily partial
// aggregates per load that the marts add up. Two day files; the second holds a late
// event of the first day, so a (key, day) appears in both loads.
const models = useModelDatabase();

const FILES = [
  [
    {
      ts: '2019-02-15 10:00:00.000 +0000',
      session: 's1',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', category: 'news', title: 'Old' },
    },
    {
      ts: '2019-02-15 10:01:00.000 +0000',
      session: 's1',
      event: 'article_viewed',
      user: 'u1',
      attributes: { id: 'a1', category: 'news', title: 'New' },
    },
    { ts: '2019-02-15 10:02:00.000 +0000', session: 's1', event: 'article_closed', user: 'u1', attributes: {} },
  ],
  [
    {
      ts: '2019-02-16 08:00:00.000 +0000',
      session: 's2',
      event: 'my_news_card_viewed',
      user: 'u2',
      attributes: { id: 'a1', category: 'news', title: 'Next day' },
    },
    // late: an event of the 15th in the 16th's file, without a title
    { ts: '2019-02-15 23:00:00.000 +0000', session: 's3', event: 'my_news_card_viewed', user: 'u1', attributes: { id: 'a1', category: 'sport' } },
  ],
];

/** `file`: the day file's position (load ids themselves keep growing across tests). */
const FILE = 'dense_rank() over (order by load_id)::int as file';

test('int_events types every event once per load: day, user, flags, article id, title and category', async () => {
  await models.loadFiles(FILES);
  expect(
    await models.select(
      'intermediate.int_events',
      'load_id, line_no',
      `${FILE}, line_no, event_date, user_id, event_name, is_display, is_click, article_id, title, category`,
    ),
  ).toEqual([
    {
      file: 1,
      line_no: 2,
      event_date: '2019-02-15',
      user_id: 'u1',
      event_name: 'top_news_card_viewed',
      is_display: true,
      is_click: false,
      article_id: 'a1',
      title: 'Old',
      category: 'news',
    },
    {
      file: 1,
      line_no: 3,
      event_date: '2019-02-15',
      user_id: 'u1',
      event_name: 'article_viewed',
      is_display: false,
      is_click: true,
      article_id: 'a1',
      title: 'New',
      category: 'news',
    },
    {
      file: 1,
      line_no: 4,
      event_date: '2019-02-15',
      user_id: 'u1',
      event_name: 'article_closed',
      is_display: false,
      is_click: false,
      article_id: null,
      title: null,
      category: null,
    },
    {
      file: 2,
      line_no: 2,
      event_date: '2019-02-16',
      user_id: 'u2',
      event_name: 'my_news_card_viewed',
      is_display: true,
      is_click: false,
      article_id: 'a1',
      title: 'Next day',
      category: 'news',
    },
    {
      file: 2,
      line_no: 3,
      event_date: '2019-02-15',
      user_id: 'u1',
      event_name: 'my_news_card_viewed',
      is_display: true,
      is_click: false,
      article_id: 'a1',
      title: null,
      category: 'sport',
    },
  ]);
});

test('int_article_days_by_load keeps per load and day the counts and the latest title and category with their time', async () => {
  await models.loadFiles(FILES);
  expect(
    await models.select(
      'intermediate.int_article_days_by_load',
      'load_id, event_date',
      `${FILE}, article_id, event_date, card_views::int, article_views::int, title_at, title, category_at, category`,
    ),
  ).toEqual([
    {
      file: 1,
      article_id: 'a1',
      event_date: '2019-02-15',
      card_views: 1,
      article_views: 1,
      title_at: new Date('2019-02-15T10:01:00Z'),
      title: 'New',
      category_at: new Date('2019-02-15T10:01:00Z'),
      category: 'news',
    },
    {
      file: 2,
      article_id: 'a1',
      event_date: '2019-02-15',
      card_views: 1,
      article_views: 0,
      title_at: null,
      title: null,
      category_at: new Date('2019-02-15T23:00:00Z'),
      category: 'sport',
    },
    {
      file: 2,
      article_id: 'a1',
      event_date: '2019-02-16',
      card_views: 1,
      article_views: 0,
      title_at: new Date('2019-02-16T08:00:00Z'),
      title: 'Next day',
      category_at: new Date('2019-02-16T08:00:00Z'),
      category: 'news',
    },
  ]);
  // the mart adds the loads up: the late display counts on the 15th, whose latest category is now sport
  expect(await models.select('marts.article_performance', 'date', 'date, card_views::int, article_views::int, title, category')).toEqual([
    { date: '2019-02-15', card_views: 2, article_views: 1, title: 'New', category: 'sport' },
    { date: '2019-02-16', card_views: 1, article_views: 0, title: 'Next day', category: 'news' },
  ]);
});

test('int_category_days_by_load counts displays and clicks per load, category and day', async () => {
  await models.loadFiles(FILES);
  expect(
    await models.select(
      'intermediate.int_category_days_by_load',
      'load_id, category, event_date',
      `${FILE}, category, event_date, card_views::int, article_views::int`,
    ),
  ).toEqual([
    { file: 1, category: 'news', event_date: '2019-02-15', card_views: 1, article_views: 1 },
    { file: 2, category: 'news', event_date: '2019-02-16', card_views: 1, article_views: 0 },
    { file: 2, category: 'sport', event_date: '2019-02-15', card_views: 1, article_views: 0 },
  ]);
});

test('int_user_days_by_load counts events, displays and clicks per load, user and day', async () => {
  await models.loadFiles(FILES);
  expect(
    await models.select(
      'intermediate.int_user_days_by_load',
      'load_id, user_id, event_date',
      `${FILE}, user_id, event_date, events::int, card_views::int, article_views::int`,
    ),
  ).toEqual([
    { file: 1, user_id: 'u1', event_date: '2019-02-15', events: 3, card_views: 1, article_views: 1 },
    { file: 2, user_id: 'u1', event_date: '2019-02-15', events: 1, card_views: 1, article_views: 0 },
    { file: 2, user_id: 'u2', event_date: '2019-02-16', events: 1, card_views: 1, article_views: 0 },
  ]);
});
