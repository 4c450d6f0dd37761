import { useModelDatabase } from './model-test-kit';

const models = useModelDatabase();

const COLUMNS = 'line_no, event_at, event_date, session_id, user_id, event_name, is_display, is_click, article_id, title, category';

test('stg_events types and classifies each event: display, click, other; ids, titles and categories only when non-empty strings', async () => {
  await models.load([
    {
      ts: '2019-02-15 03:07:03.662 +0000',
      session: 's1',
      event: 'top_news_card_viewed',
      user: 'u1',
      attributes: { id: 'a1', title: 'Hello', category: 'news' },
    },
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'my_news_card_viewed', user: 'u1', attributes: { id: 42, title: 7, category: '' } },
    { ts: '2019-02-15 10:00:01.000 +0000', session: 's2', event: 'article_viewed', user: '', attributes: { id: '', title: '', category: 'sport' } },
    {
      ts: '2019-02-15 10:00:02.000 +0000',
      session: 's3',
      event: 'article_shared',
      user: 'u2',
      attributes: { id: 'a2', title: { text: 'x' }, category: null },
    },
    { ts: '2019-02-15 10:00:03.000 +0000', session: 's3', event: 'app_opened', user: 'u2', attributes: {} },
    {
      ts: '2019-02-15 10:00:04.000 +0000',
      session: 's3',
      event: 'top_news_card_viewed',
      user: 'u2',
      attributes: { id: null, title: ['T'], category: true },
    },
  ]);
  expect(await models.select('staging.stg_events', 'line_no', COLUMNS)).toEqual([
    {
      line_no: 2,
      event_at: new Date('2019-02-15T03:07:03.662Z'),
      event_date: '2019-02-15',
      session_id: 's1',
      user_id: 'u1',
      event_name: 'top_news_card_viewed',
      is_display: true,
      is_click: false,
      article_id: 'a1',
      title: 'Hello',
      category: 'news',
    },
    {
      line_no: 3,
      event_at: new Date('2019-02-15T10:00:00.000Z'),
      event_date: '2019-02-15',
      session_id: 's1',
      user_id: 'u1',
      event_name: 'my_news_card_viewed',
      is_display: true,
      is_click: false,
      article_id: null,
      title: null,
      category: null,
    },
    {
      line_no: 4,
      event_at: new Date('2019-02-15T10:00:01.000Z'),
      event_date: '2019-02-15',
      session_id: 's2',
      user_id: null,
      event_name: 'article_viewed',
      is_display: false,
      is_click: true,
      article_id: null,
      title: null,
      category: 'sport',
    },
    {
      line_no: 5,
      event_at: new Date('2019-02-15T10:00:02.000Z'),
      event_date: '2019-02-15',
      session_id: 's3',
      user_id: 'u2',
      event_name: 'article_shared',
      is_display: false,
      is_click: false,
      article_id: 'a2',
      title: null,
      category: null,
    },
    {
      line_no: 6,
      event_at: new Date('2019-02-15T10:00:03.000Z'),
      event_date: '2019-02-15',
      session_id: 's3',
      user_id: 'u2',
      event_name: 'app_opened',
      is_display: false,
      is_click: false,
      article_id: null,
      title: null,
      category: null,
    },
    {
      line_no: 7,
      event_at: new Date('2019-02-15T10:00:04.000Z'),
      event_date: '2019-02-15',
      session_id: 's3',
      user_id: 'u2',
      event_name: 'top_news_card_viewed',
      is_display: true,
      is_click: false,
      article_id: null,
      title: null,
      category: null,
    },
  ]);
});

test('stg_events reads every accepted timestamp form as the same instant and dates it by that instant in UTC', async () => {
  await models.load([
    { ts: '2019-02-15T23:00:00+01:30', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 20:00:00.000 -0500', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 23:59:59.999Z', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-16 00:00:00 +00', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-16 01:30:00.000 +0130', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-16T00:59:59.5+01:00', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
  ]);
  expect(await models.select('staging.stg_events', 'line_no', 'line_no, event_at, event_date')).toEqual([
    { line_no: 2, event_at: new Date('2019-02-15T21:30:00.000Z'), event_date: '2019-02-15' },
    { line_no: 3, event_at: new Date('2019-02-16T01:00:00.000Z'), event_date: '2019-02-16' },
    { line_no: 4, event_at: new Date('2019-02-15T23:59:59.999Z'), event_date: '2019-02-15' },
    { line_no: 5, event_at: new Date('2019-02-16T00:00:00.000Z'), event_date: '2019-02-16' },
    { line_no: 6, event_at: new Date('2019-02-16T00:00:00.000Z'), event_date: '2019-02-16' },
    { line_no: 7, event_at: new Date('2019-02-15T23:59:59.500Z'), event_date: '2019-02-15' },
  ]);
});

test('stg_events dates events in the reporting time zone setting (Europe/Berlin moves 23:30 UTC to the next day)', async () => {
  await models.load([
    { ts: '2019-02-15 03:07:03.662 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 23:30:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-16 00:30:00.000 +0100', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 22:59:59.999 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
  ]);
  expect(await models.select('staging.stg_events', 'line_no', 'line_no, event_date')).toEqual([
    { line_no: 2, event_date: '2019-02-15' },
    { line_no: 3, event_date: '2019-02-15' },
    { line_no: 4, event_date: '2019-02-15' },
    { line_no: 5, event_date: '2019-02-15' },
  ]);
  await models.reconfigure({ timeZone: 'Europe/Berlin' });
  expect(await models.select('staging.stg_events', 'line_no', 'line_no, event_date')).toEqual([
    { line_no: 2, event_date: '2019-02-15' },
    { line_no: 3, event_date: '2019-02-16' },
    { line_no: 4, event_date: '2019-02-16' },
    { line_no: 5, event_date: '2019-02-15' },
  ]);
});

test('stg_events keeps a late event (of the day before, in a later day file) on its own day', async () => {
  await models.loadFiles([
    [{ ts: '2019-02-15 12:00:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} }],
    [
      { ts: '2019-02-16 08:00:00.000 +0000', session: 's2', event: 'app_opened', user: 'u1', attributes: {} },
      { ts: '2019-02-15 23:58:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    ],
  ]);
  // file: the day file's position (load ids themselves keep growing across tests)
  expect(await models.select('staging.stg_events', 'load_id, line_no', 'dense_rank() over (order by load_id) as file, line_no, event_date')).toEqual([
    { file: '1', line_no: 2, event_date: '2019-02-15' },
    { file: '2', line_no: 2, event_date: '2019-02-16' },
    { file: '2', line_no: 3, event_date: '2019-02-15' },
  ]);
});
