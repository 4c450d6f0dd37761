import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EltError, ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { readDataTests } from '../../transform/data-tests';
import { refreshMarts } from '../../transform/refresh-marts';
import { insertRawEvents, type LakeRow } from '../helpers/raw-events';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// `materialized: table` (dbt's table): recomputed in full at every build, built beside the
// old table as <name>__new and swapped in at the end, so readers keep the old rows meanwhile
// (issue 24). Its own small project: a staging view over the raw events and a table mart.

let db: TestDatabase;
let dir: string;

const STAGING = `-- the raw events' names and users
-- materialized: view
select load_id, line_no, event ->> 'EVENT_NAME' as event_name, event ->> 'MD5(USER_ID)' as user_id from raw.raw_events
`;
// pauses for public.pause_seconds (a test sets it to hold the build inside the fill)
const USER_EVENTS = `-- events per user, recomputed in full at every build
-- materialized: table
-- unique_key: user_id
-- index: events
-- column events: how many events the user has
select s.user_id, count(*)::int as events
from staging.stg_named as s
cross join (select pg_sleep(coalesce(max(p.seconds), 0)) from public.pause_seconds as p) as pause
group by s.user_id
`;

function writeModel(path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  await db.pool.query('create table public.pause_seconds (seconds float)');
  dir = mkdtempSync(join(tmpdir(), 'elt-table-models-'));
  writeModel('staging/stg_named.sql', STAGING);
  writeModel('marts/user_events.sql', USER_EVENTS);
});
afterEach(() => db.drop());

const build = (options: { prune?: 'all' } = {}, warnings: string[] = []) =>
  buildModels(db.pool, { dir, log: { ...silentLogger, warn: (message: string) => warnings.push(message) }, ...options });
const event = (user: string, name = 'article_viewed'): LakeRow => ({
  ts: '2019-02-15 10:00:00 +0000',
  session: 's',
  event: name,
  user,
  attributes: {},
});
const rowsOf = async (relation: string, orderBy = 'user_id') => (await db.pool.query(`select * from ${relation} order by ${orderBy}`)).rows;
const relkind = async (name: string) =>
  (await db.pool.query<{ relkind: string | null }>('select (select relkind::text from pg_class where oid = to_regclass($1)) as relkind', [name]))
    .rows[0]?.relkind;

async function buildError(): Promise<EltError> {
  try {
    await build();
  } catch (err) {
    if (err instanceof EltError) return err;
    throw err;
  }
  throw new Error('the build succeeded');
}

test('a table model holds its query rows and is recomputed with the new data at every build, nothing else rebuilt', async () => {
  await insertRawEvents(db.pool, [event('u1'), event('u1', 'top_news_card_viewed'), event('u2')]);
  expect((await build()).built).toEqual(['staging.stg_named', 'marts.user_events']);
  expect(await relkind('marts.user_events')).toBe('r');
  expect(await rowsOf('marts.user_events')).toEqual([
    { user_id: 'u1', events: 2 },
    { user_id: 'u2', events: 1 },
  ]);

  await insertRawEvents(db.pool, [event('u2'), event('u3')]);
  const again = await build();
  expect(again.built).toEqual(['marts.user_events']);
  expect(again.unchanged).toEqual(['staging.stg_named']);
  expect(await rowsOf('marts.user_events')).toEqual([
    { user_id: 'u1', events: 2 },
    { user_id: 'u2', events: 2 },
    { user_id: 'u3', events: 1 },
  ]);
  // the swapped-in table carries the model's indexes and comments under their own names; nothing is left beside it
  const { rows: indexes } = await db.pool.query(
    "select indexrelid::regclass::text as index, indisunique as is_unique from pg_index where indrelid = 'marts.user_events'::regclass order by 1",
  );
  expect(indexes).toEqual([
    { index: 'marts.user_events_index_1', is_unique: false },
    { index: 'marts.user_events_unique_key', is_unique: true },
  ]);
  expect((await db.pool.query("select col_description('marts.user_events'::regclass, 2) as text")).rows).toEqual([
    { text: 'how many events the user has' },
  ]);
  expect(await relkind('marts.user_events__new')).toBeNull();
});

test('elt refresh leaves a table as the last build made it (a table follows builds; refresh is the cheap path)', async () => {
  await insertRawEvents(db.pool, [event('u1')]);
  await build();
  await insertRawEvents(db.pool, [event('u1'), event('u2')]);
  expect(await refreshMarts(db.pool, { dir, log: silentLogger })).toEqual([]);
  expect(await rowsOf('marts.user_events')).toEqual([{ user_id: 'u1', events: 1 }]);
});

test('a reader of the table during its rebuild reads the old rows at once, without waiting for a lock, and never sees the table built beside it (marts.user_events__new)', async () => {
  await insertRawEvents(db.pool, [event('u1')]);
  await build();
  await insertRawEvents(db.pool, [event('u2')]);
  await db.pool.query('insert into public.pause_seconds values (2)');
  const building = build();
  // until the build is inside the new table's fill
  for (let waited = 0; ; waited += 50) {
    const { rows } = await db.pool.query(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep' and query like '%user_events__new%'",
    );
    if (rows[0]?.n === 1) break;
    if (waited > 20000) throw new Error('the build never reached the fill of marts.user_events__new');
    await sleep(50);
  }
  const reader = await db.pool.connect();
  try {
    // a reader blocked by the build's lock would fail here instead of waiting
    await reader.query("set lock_timeout = '300ms'");
    expect((await reader.query('select * from marts.user_events order by user_id')).rows).toEqual([{ user_id: 'u1', events: 1 }]);
    // it exists only inside the build's transaction: no BI tool browsing marts lists it, before or after the swap
    const { rows: listed } = await reader.query(
      "select table_schema, table_name from information_schema.tables where table_name like '%\\_\\_new' or table_name like '%\\_\\_source'",
    );
    expect(listed).toEqual([]);
    expect((await reader.query("select to_regclass('marts.user_events__new') as oid")).rows).toEqual([{ oid: null }]);
  } finally {
    reader.release();
  }
  await building;
  expect(await rowsOf('marts.user_events')).toEqual([
    { user_id: 'u1', events: 1 },
    { user_id: 'u2', events: 1 },
  ]);
});

test('models reading a table are rebuilt with it on its new rows: a view and a table built from the table', async () => {
  writeModel(
    'marts/top_users.sql',
    '-- users with two events or more\n-- materialized: view\nselect user_id from marts.user_events where events >= 2\n',
  );
  writeModel('marts/event_total.sql', '-- all events\n-- materialized: table\nselect sum(events)::int as total from marts.user_events\n');
  await insertRawEvents(db.pool, [event('u1'), event('u1'), event('u2')]);
  await build();
  expect(await rowsOf('marts.top_users')).toEqual([{ user_id: 'u1' }]);
  expect(await rowsOf('marts.event_total', 'total')).toEqual([{ total: 3 }]);
  await insertRawEvents(db.pool, [event('u2'), event('u3')]);
  expect((await build()).built).toEqual(['marts.user_events', 'marts.event_total', 'marts.top_users']);
  expect(await rowsOf('marts.top_users')).toEqual([{ user_id: 'u1' }, { user_id: 'u2' }]);
  expect(await rowsOf('marts.event_total', 'total')).toEqual([{ total: 5 }]);
});

test('a view outside the models on the table makes the build fail naming it; the table keeps its rows (no cascade)', async () => {
  await insertRawEvents(db.pool, [event('u1')]);
  await build();
  await db.pool.query('create view public.analyst_view as select * from marts.user_events');
  await insertRawEvents(db.pool, [event('u2')]);
  const err = await buildError();
  expect(err.exitCode).toBe(ExitCode.modelFailed);
  expect(err.message).toMatch(/^cannot rebuild model marts\.user_events: public\.analyst_view \(not a model\) depends on it/);
  expect(await rowsOf('public.analyst_view')).toEqual([{ user_id: 'u1', events: 1 }]);
  expect(await relkind('marts.user_events__new')).toBeNull();
});

test('a relation <table>__new the build did not make is refused, named, and left as it is', async () => {
  await build();
  await db.pool.query("create table marts.user_events__new as select 'mine' as keep");
  const err = await buildError();
  expect(err.exitCode).toBe(ExitCode.modelFailed);
  expect(err.message).toBe(
    'cannot build model marts.user_events: marts.user_events__new exists and the build did not make it (a table model is built there, then swapped in): drop or rename it',
  );
  expect(await rowsOf('marts.user_events__new', 'keep')).toEqual([{ keep: 'mine' }]);
});

test('a table model whose file is gone is an orphan: kept, and an orphan reading a table blocks its rebuild until pruned', async () => {
  writeModel('marts/top_users.sql', '-- materialized: view\nselect user_id from marts.user_events where events >= 2\n');
  await insertRawEvents(db.pool, [event('u1')]);
  await build();
  rmSync(join(dir, 'marts', 'top_users.sql'));
  const err = await buildError();
  expect(err.message).toMatch(/^cannot rebuild model marts\.user_events: the orphaned model marts\.top_users reads it/);
  expect(await rowsOf('marts.user_events')).toEqual([{ user_id: 'u1', events: 1 }]);
  expect((await build({ prune: 'all' })).pruned).toEqual(['marts.top_users']);

  rmSync(join(dir, 'marts', 'user_events.sql'));
  writeModel('marts/other.sql', '-- materialized: view\nselect 1 as one\n');
  const warnings: string[] = [];
  expect((await build({}, warnings)).orphaned).toEqual(['marts.user_events']);
  expect(warnings).toEqual([expect.stringMatching(/^orphaned model marts\.user_events: /)]);
  expect(await rowsOf('marts.user_events')).toEqual([{ user_id: 'u1', events: 1 }]);
  expect((await build({ prune: 'all' })).pruned).toEqual(['marts.user_events']);
  expect(await relkind('marts.user_events')).toBeNull();
});

test('a model changing kind from table to materialized view and back is rebuilt as the new kind, with the same rows', async () => {
  await insertRawEvents(db.pool, [event('u1')]);
  await build();
  writeModel('marts/user_events.sql', USER_EVENTS.replace('materialized: table', 'materialized: materialized_view'));
  expect((await build()).built).toEqual(['marts.user_events']);
  expect(await relkind('marts.user_events')).toBe('m');
  writeModel('marts/user_events.sql', USER_EVENTS);
  await build();
  expect(await relkind('marts.user_events')).toBe('r');
  expect(await rowsOf('marts.user_events')).toEqual([{ user_id: 'u1', events: 1 }]);
});

test('a duplicated key fails the table build naming the model, and the old table stays; its data tests skip the redundant unique test', async () => {
  await insertRawEvents(db.pool, [event('u1'), event('u2')]);
  await build();
  expect(readDataTests(dir).map((test) => test.name)).toEqual(['marts.user_events.not_null']);
  writeModel('marts/user_events.sql', USER_EVENTS.replace('unique_key: user_id', 'unique_key: events'));
  const err = await buildError();
  expect(err.exitCode).toBe(ExitCode.modelFailed);
  expect(err.message).toMatch(/^model marts\.user_events \(.*user_events\.sql\) failed to build: could not create unique index/);
  expect(await rowsOf('marts.user_events')).toEqual([
    { user_id: 'u1', events: 1 },
    { user_id: 'u2', events: 1 },
  ]);
});
