import { useModelDatabase } from './model-test-kit';

const models = useModelDatabase();

const ORDER = 'user_id, session_id, session_number';

test('int_sessions splits at gaps over 30 minutes, keeps exactly 30 minutes together, counts midnight-crossing sessions in full on their first day', async () => {
  await models.load([
    // across midnight: one session of 20 min 30 s, on the 15th
    { ts: '2019-02-16 00:10:30.000 +0000', session: 's-midnight', event: 'article_viewed', user: 'u1', attributes: {} },
    { ts: '2019-02-15 23:50:00.000 +0000', session: 's-midnight', event: 'top_news_card_viewed', user: 'u1', attributes: {} },
    // 30 min and 1 ms after the previous event: a second session, of one event
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's-gap', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 10:05:00.000 +0000', session: 's-gap', event: 'my_news_card_viewed', user: 'u1', attributes: {} },
    { ts: '2019-02-15 10:35:00.001 +0000', session: 's-gap', event: 'article_viewed', user: 'u1', attributes: {} },
    // gaps of exactly 30 minutes: one session of an hour
    { ts: '2019-02-15 12:00:00.000 +0000', session: 's-exact', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 12:30:00.000 +0000', session: 's-exact', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 13:00:00.000 +0000', session: 's-exact', event: 'app_opened', user: 'u1', attributes: {} },
    // the same session id for another user is another session
    { ts: '2019-02-15 10:20:00.000 +0000', session: 's-gap', event: 'app_opened', user: 'u2', attributes: {} },
    // events without a user make no session
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's-anon', event: 'app_opened', user: '', attributes: {} },
    { ts: '2019-02-15 10:10:00.000 +0000', session: 's-anon', event: 'app_opened', user: '', attributes: {} },
  ]);
  expect(await models.select('intermediate.int_sessions', ORDER)).toEqual([
    {
      user_id: 'u1',
      session_id: 's-exact',
      session_number: 1,
      started_at: new Date('2019-02-15T12:00:00.000Z'),
      ended_at: new Date('2019-02-15T13:00:00.000Z'),
      session_date: '2019-02-15',
      length_seconds: '3600.000000',
      event_count: '3',
    },
    {
      user_id: 'u1',
      session_id: 's-gap',
      session_number: 1,
      started_at: new Date('2019-02-15T10:00:00.000Z'),
      ended_at: new Date('2019-02-15T10:05:00.000Z'),
      session_date: '2019-02-15',
      length_seconds: '300.000000',
      event_count: '2',
    },
    {
      user_id: 'u1',
      session_id: 's-gap',
      session_number: 2,
      started_at: new Date('2019-02-15T10:35:00.001Z'),
      ended_at: new Date('2019-02-15T10:35:00.001Z'),
      session_date: '2019-02-15',
      length_seconds: '0.000000',
      event_count: '1',
    },
    {
      user_id: 'u1',
      session_id: 's-midnight',
      session_number: 1,
      started_at: new Date('2019-02-15T23:50:00.000Z'),
      ended_at: new Date('2019-02-16T00:10:30.000Z'),
      session_date: '2019-02-15',
      length_seconds: '1230.000000',
      event_count: '2',
    },
    {
      user_id: 'u2',
      session_id: 's-gap',
      session_number: 1,
      started_at: new Date('2019-02-15T10:20:00.000Z'),
      ended_at: new Date('2019-02-15T10:20:00.000Z'),
      session_date: '2019-02-15',
      length_seconds: '0.000000',
      event_count: '1',
    },
  ]);
});

test('int_sessions orders events by instant, not by wall-clock text, when UTC offsets differ', async () => {
  await models.load([
    // 10:15Z, 10:20Z, 10:00Z: one session of 20 minutes (as text, 10:00 / 11:20 / 11:45 would be three)
    { ts: '2019-02-15 11:45:00.000 +0130', session: 's1', event: 'app_opened', user: 'u3', attributes: {} },
    { ts: '2019-02-15 11:20:00.000 +0100', session: 's1', event: 'app_opened', user: 'u3', attributes: {} },
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'app_opened', user: 'u3', attributes: {} },
  ]);
  expect(await models.select('intermediate.int_sessions', ORDER)).toEqual([
    {
      user_id: 'u3',
      session_id: 's1',
      session_number: 1,
      started_at: new Date('2019-02-15T10:00:00.000Z'),
      ended_at: new Date('2019-02-15T10:20:00.000Z'),
      session_date: '2019-02-15',
      length_seconds: '1200.000000',
      event_count: '3',
    },
  ]);
});

test('stg_sessions: a late event in the next day file starts the session on its own day', async () => {
  await models.loadFiles([
    [{ ts: '2019-02-16 00:10:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} }],
    [{ ts: '2019-02-15 23:55:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} }],
  ]);
  expect(await models.select('intermediate.int_sessions', ORDER)).toEqual([
    {
      user_id: 'u1',
      session_id: 's1',
      session_number: 1,
      started_at: new Date('2019-02-15T23:55:00.000Z'),
      ended_at: new Date('2019-02-16T00:10:00.000Z'),
      session_date: '2019-02-15',
      length_seconds: '900.000000',
      event_count: '2',
    },
  ]);
});

test('int_sessions follows the session gap setting (10 minutes splits what 30 minutes keeps together)', async () => {
  await models.load([
    { ts: '2019-02-15 10:00:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 10:10:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 10:20:01.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 10:45:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
  ]);
  expect(await models.select('intermediate.int_sessions', ORDER)).toEqual([
    {
      user_id: 'u1',
      session_id: 's1',
      session_number: 1,
      started_at: new Date('2019-02-15T10:00:00.000Z'),
      ended_at: new Date('2019-02-15T10:45:00.000Z'),
      session_date: '2019-02-15',
      length_seconds: '2700.000000',
      event_count: '4',
    },
  ]);
  await models.reconfigure({ sessionGapMinutes: 10 });
  expect(await models.select('intermediate.int_sessions', ORDER)).toEqual([
    {
      user_id: 'u1',
      session_id: 's1',
      session_number: 1,
      started_at: new Date('2019-02-15T10:00:00.000Z'),
      ended_at: new Date('2019-02-15T10:10:00.000Z'),
      session_date: '2019-02-15',
      length_seconds: '600.000000',
      event_count: '2',
    },
    {
      user_id: 'u1',
      session_id: 's1',
      session_number: 2,
      started_at: new Date('2019-02-15T10:20:01.000Z'),
      ended_at: new Date('2019-02-15T10:20:01.000Z'),
      session_date: '2019-02-15',
      length_seconds: '0.000000',
      event_count: '1',
    },
    {
      user_id: 'u1',
      session_id: 's1',
      session_number: 3,
      started_at: new Date('2019-02-15T10:45:00.000Z'),
      ended_at: new Date('2019-02-15T10:45:00.000Z'),
      session_date: '2019-02-15',
      length_seconds: '0.000000',
      event_count: '1',
    },
  ]);
});

test('int_sessions dates a session by its first event in the reporting time zone (Europe/Berlin)', async () => {
  await models.load([
    // 23:30-23:40 UTC on the 15th is 00:30-00:40 in Berlin on the 16th
    { ts: '2019-02-15 23:30:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 23:40:00.000 +0000', session: 's1', event: 'app_opened', user: 'u1', attributes: {} },
    // 22:50 UTC is 23:50 in Berlin: still the 15th there, though it runs into the 16th
    { ts: '2019-02-15 22:50:00.000 +0000', session: 's2', event: 'app_opened', user: 'u1', attributes: {} },
    { ts: '2019-02-15 23:20:00.000 +0000', session: 's2', event: 'app_opened', user: 'u1', attributes: {} },
  ]);
  expect(await models.select('intermediate.int_sessions', ORDER, 'user_id, session_id, session_number, session_date, length_seconds')).toEqual([
    { user_id: 'u1', session_id: 's1', session_number: 1, session_date: '2019-02-15', length_seconds: '600.000000' },
    { user_id: 'u1', session_id: 's2', session_number: 1, session_date: '2019-02-15', length_seconds: '1800.000000' },
  ]);
  await models.reconfigure({ timeZone: 'Europe/Berlin' });
  expect(await models.select('intermediate.int_sessions', ORDER, 'user_id, session_id, session_number, session_date, length_seconds')).toEqual([
    { user_id: 'u1', session_id: 's1', session_number: 1, session_date: '2019-02-16', length_seconds: '600.000000' },
    { user_id: 'u1', session_id: 's2', session_number: 1, session_date: '2019-02-15', length_seconds: '1800.000000' },
  ]);
});
