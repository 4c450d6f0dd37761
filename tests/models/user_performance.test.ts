import { useModelDatabase } from './model-test-kit';

const models = useModelDatabase();

const mart = () => models.select('marts.user_performance', 'user_id, date');

test('user_performance counts sessions on the day they start, in full across midnight; a day with events but no session start has 0 sessions and a NULL average; other events count toward sessions only', async () => {
  await models.load([
    // u1, 15th: a 10 min session, a one-event session (gap 50 min), and a session from 23:50 to 00:40 (gaps of 30 and 20 min)
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a1' } },
    { ts: '2019-02-15 10:10:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a1' } },
    { ts: '2019-02-15 11:00:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 23:50:00.000 +0000', session: 's2', event: 'my_news_card_viewed', user: 'u1', attributes: { id: 'a2' } },
    { ts: '2019-02-16 00:20:00.000 +0000', session: 's2', event: 'article_viewed', user: 'u1', attributes: { id: 'a2' } },
    { ts: '2019-02-16 00:40:00.000 +0000', session: 's2', event: 'article_viewed', user: 'u1', attributes: { id: 'a3' } },
    // u2: only events that are neither displays nor clicks
    { ts: '2019-02-15 08:00:00.000 +0000', session: 's9', event: 'app_opened', user: 'u2', attributes: {} },
    { ts: '2019-02-15 08:05:00.000 +0000', session: 's9', event: 'article_shared', user: 'u2', attributes: { id: 'a1' } },
    // no user: no row
    { ts: '2019-02-15 09:00:00.000 +0000', session: 's7', event: 'top_news_card_viewed', user: '', attributes: { id: 'a1' } },
    { ts: '2019-02-15 09:01:00.000 +0000', session: 's7', event: 'article_viewed', user: '', attributes: { id: 'a1' } },
  ]);
  expect(await mart()).toEqual([
    {
      user_id: 'u1',
      date: '2019-02-15',
      sessions: '3',
      avg_session_length_seconds: '1200.0000000000000000',
      card_views: '2',
      article_views: '1',
      ctr: '0.50000000000000000000',
    },
    { user_id: 'u1', date: '2019-02-16', sessions: '0', avg_session_length_seconds: null, card_views: '0', article_views: '2', ctr: null },
    {
      user_id: 'u2',
      date: '2019-02-15',
      sessions: '1',
      avg_session_length_seconds: '300.0000000000000000',
      card_views: '0',
      article_views: '0',
      ctr: null,
    },
  ]);
});

test('user_performance counts displays and clicks without a usable article id; ctr may exceed 1 and is NULL for clicks without displays', async () => {
  await models.load([
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 42 } },
    { ts: '2019-02-15 10:01:00.000 +0000', session: 's1', event: 'my_news_card_viewed', user: 'u1', attributes: { id: '' } },
    { ts: '2019-02-15 10:02:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: {} },
    { ts: '2019-02-15 10:03:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: null } },
    { ts: '2019-02-15 10:04:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a1' } },
    { ts: '2019-02-15 10:05:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: { nested: 'a1' } } },
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's2', event: 'article_viewed', user: 'u2', attributes: { id: 'a1' } },
  ]);
  expect(await mart()).toEqual([
    {
      user_id: 'u1',
      date: '2019-02-15',
      sessions: '1',
      avg_session_length_seconds: '300.0000000000000000',
      card_views: '2',
      article_views: '4',
      ctr: '2.0000000000000000',
    },
    {
      user_id: 'u2',
      date: '2019-02-15',
      sessions: '1',
      avg_session_length_seconds: '0.00000000000000000000',
      card_views: '0',
      article_views: '1',
      ctr: null,
    },
  ]);
});

test('user_performance: a gap of exactly 30 minutes keeps one session, 30 minutes and 1 ms splits it; each session id of a user is its own session', async () => {
  await models.load([
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 10:30:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'app_opened', user: 'u2', attributes: {} },
    { ts: '2019-02-15 10:30:00.001 +0000', session: 's1', event: 'app_opened', user: 'u2', attributes: {} },
    // overlapping in time, but two session ids: two sessions (600 s and 0 s)
    { ts: '2019-02-15 12:00:00.000 +0000', session: 'sa', event: 'app_opened', user: 'u3', attributes: {} },
    { ts: '2019-02-15 12:05:00.000 +0000', session: 'sb', event: 'app_opened', user: 'u3', attributes: {} },
    { ts: '2019-02-15 12:10:00.000 +0000', session: 'sa', event: 'app_opened', user: 'u3', attributes: {} },
  ]);
  expect(await mart()).toEqual([
    {
      user_id: 'u1',
      date: '2019-02-15',
      sessions: '1',
      avg_session_length_seconds: '1800.0000000000000000',
      card_views: '0',
      article_views: '0',
      ctr: null,
    },
    {
      user_id: 'u2',
      date: '2019-02-15',
      sessions: '2',
      avg_session_length_seconds: '0.00000000000000000000',
      card_views: '0',
      article_views: '0',
      ctr: null,
    },
    {
      user_id: 'u3',
      date: '2019-02-15',
      sessions: '2',
      avg_session_length_seconds: '300.0000000000000000',
      card_views: '0',
      article_views: '0',
      ctr: null,
    },
  ]);
});

test('user_performance follows the session gap setting after applySettings and refresh (10 minutes)', async () => {
  await models.load([
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a1' } },
    { ts: '2019-02-15 10:05:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a1' } },
    { ts: '2019-02-15 10:20:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
  ]);
  expect(await mart()).toEqual([
    {
      user_id: 'u1',
      date: '2019-02-15',
      sessions: '1',
      avg_session_length_seconds: '1200.0000000000000000',
      card_views: '1',
      article_views: '1',
      ctr: '1.00000000000000000000',
    },
  ]);
  await models.reconfigure({ sessionGapMinutes: 10 });
  expect(await mart()).toEqual([
    {
      user_id: 'u1',
      date: '2019-02-15',
      sessions: '2',
      avg_session_length_seconds: '150.0000000000000000',
      card_views: '1',
      article_views: '1',
      ctr: '1.00000000000000000000',
    },
  ]);
});

test('user_performance follows the reporting time zone setting after applySettings and refresh (Europe/Berlin)', async () => {
  await models.load([
    { ts: '2019-02-15 12:00:00.000 +0000', session: 's2', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a1' } },
    { ts: '2019-02-15 23:30:00.000 +0000', session: 's1', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a2' } },
    { ts: '2019-02-15 23:45:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a2' } },
  ]);
  expect(await mart()).toEqual([
    {
      user_id: 'u1',
      date: '2019-02-15',
      sessions: '2',
      avg_session_length_seconds: '450.0000000000000000',
      card_views: '2',
      article_views: '1',
      ctr: '0.50000000000000000000',
    },
  ]);
  await models.reconfigure({ timeZone: 'Europe/Berlin' });
  expect(await mart()).toEqual([
    {
      user_id: 'u1',
      date: '2019-02-15',
      sessions: '1',
      avg_session_length_seconds: '0.00000000000000000000',
      card_views: '1',
      article_views: '0',
      ctr: '0.00000000000000000000',
    },
    {
      user_id: 'u1',
      date: '2019-02-16',
      sessions: '1',
      avg_session_length_seconds: '900.0000000000000000',
      card_views: '1',
      article_views: '1',
      ctr: '1.00000000000000000000',
    },
  ]);
});

test('user_performance compares timestamps with different offsets as instants and puts late events of the previous day on their own day', async () => {
  await models.loadFiles([
    [{ ts: '2019-02-16 00:10:00.000 +0000', session: 's1', event: 'top_news_card_viewed', user: 'u1', attributes: { id: 'a1' } }],
    [
      // late: 23:50 UTC on the 15th
      { ts: '2019-02-15 23:50:00.000 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a1' } },
      // reads as the 16th, but is 23:15 UTC on the 15th: 35 min before 23:50, so a session of its own
      { ts: '2019-02-16 00:45:00.000 +0130', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    ],
  ]);
  expect(await mart()).toEqual([
    {
      user_id: 'u1',
      date: '2019-02-15',
      sessions: '2',
      avg_session_length_seconds: '600.0000000000000000',
      card_views: '0',
      article_views: '1',
      ctr: null,
    },
    {
      user_id: 'u1',
      date: '2019-02-16',
      sessions: '0',
      avg_session_length_seconds: null,
      card_views: '1',
      article_views: '0',
      ctr: '0.00000000000000000000',
    },
  ]);
});
