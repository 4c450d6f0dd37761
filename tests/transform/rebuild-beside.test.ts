import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { EltError, ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { CLICKSTREAM_MODELS } from '../helpers/clickstream-models';
import { insertRawEvents, type LakeRow } from '../helpers/raw-events';
import { killAll, startCli } from '../s3/cli-process';
import { copyOfModels, createTestDatabase, type TestDatabase } from '../helpers/test-database';

// Production's own rebuilds (issue 27): `elt build --full`, or the rebuild of a changed model,
// builds each relation beside production (<name>__new) and swaps the whole set in one short
// moment at the end, so readers of the marts read the old set or the new one, never a mix, and
// never wait for the build, only (briefly) for the swap. The clickstream models, plus a
// materialized view and a view on the marts (dependents swap with what they read).

/** A materialized view over two marts, and a view over it: the dependents of the incremental marts. */
const DAILY_TOTALS = `-- daily_totals: displays and clicks per day, from the article and category marts.
-- grain: one row per day; key: (date).
-- materialized: materialized_view
-- unique_key: date
with

articles as (
    select date, sum(card_views)::bigint as card_views from marts.article_performance group by date
),

categories as (
    select date, sum(article_views)::bigint as article_views from marts.category_ctr_daily group by date
),

final as (
    select a.date, a.card_views, coalesce(c.article_views, 0) as article_views
    from articles as a
    left join categories as c on c.date = a.date
)

select * from final
`;
const BUSY_DAYS = `-- busy_days: the days with more than one display.
-- grain: one row per day; key: (date).
-- materialized: view
-- unique_key: date
with

totals as (
    select date, card_views from marts.daily_totals
),

final as (
    select date, card_views from totals where card_views > 1
)

select * from final
`;

/** `count` events of load `load`: users, sessions, articles and categories spread by a fixed rule (no randomness). */
function lakeRows(load: number, count: number): LakeRow[] {
  const names = ['my_news_card_viewed', 'top_news_card_viewed', 'article_viewed'];
  return Array.from({ length: count }, (_, index) => {
    const n = load * 100_003 + index;
    const minute = (index * 7) % (60 * 24 * 3);
    const at = new Date(Date.UTC(2019, 1, 14) + minute * 60_000).toISOString().replace('T', ' ').replace('Z', ' +0000');
    return {
      ts: at,
      session: `s${n % 97}`,
      event: names[n % 3] as string,
      user: `u${n % 53}`,
      attributes: { id: `a${n % 41}`, category: `c${n % 7}`, title: `title ${n % 41}` },
    };
  });
}

/** One reading of the marts, in one statement (one snapshot): their sizes and sums, as text. */
const MARTS_READING = `select concat_ws(' | ',
    (select count(*) || ':' || coalesce(sum(card_views), 0) from marts.article_performance),
    (select count(*) || ':' || coalesce(sum(article_views), 0) from marts.category_ctr_daily),
    (select count(*) || ':' || coalesce(sum(sessions), 0) from marts.user_performance),
    (select count(*) || ':' || coalesce(sum(card_views), 0) from marts.daily_totals),
    (select count(*) from marts.busy_days)) as reading`;

/** A lock wait of a reader, as pg_locks and pg_stat_activity show it: how long so far, and what the session it waits for is running. */
interface ReaderWait {
  waitedMs: number;
  blockerQuery: string;
}

const WAITS_SQL = `select extract(epoch from clock_timestamp() - l.waitstart) * 1000 as "waitedMs", b.query as "blockerQuery"
  from pg_locks as l
  cross join lateral unnest(pg_blocking_pids(l.pid)) as blocking (pid)
  join pg_stat_activity as b on b.pid = blocking.pid
 where not l.granted and l.pid = any($1::int[]) and l.waitstart is not null`;

/** The statements that build (create and fill relations, index, analyze): a reader waiting on one of them waits for the build itself. */
const BUILDING = /^\s*(create|call|analyze|insert into (staging|intermediate|marts)\.|refresh)\b/i;

const CLICKSTREAM_COUNT = CLICKSTREAM_MODELS.length;

let db: TestDatabase;
let modelsDir: string;

beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  modelsDir = copyOfModels();
  writeFileSync(join(modelsDir, 'marts', 'daily_totals.sql'), DAILY_TOTALS);
  writeFileSync(join(modelsDir, 'marts', 'busy_days.sql'), BUSY_DAYS);
});
afterEach(async () => {
  killAll();
  await db.drop();
});

const build = (options: { full?: boolean } = {}) => buildModels(db.pool, { dir: modelsDir, log: silentLogger, ...options });
const reading = async (client: Pick<Client, 'query'>): Promise<string> =>
  (await client.query<{ reading: string }>(MARTS_READING)).rows[0]?.reading as string;

/**
 * Runs `work` while `readers` connections read the marts in a loop, and one more watches
 * their lock waits: what each reader read, what failed, and every wait seen.
 */
async function whileReading(readers: number, work: () => Promise<unknown>): Promise<{ readings: string[]; errors: string[]; waits: ReaderWait[] }> {
  const clients = await Promise.all(
    Array.from({ length: readers + 1 }, async () => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      return client;
    }),
  );
  const watcher = clients.pop() as Client;
  const pids = await Promise.all(clients.map(async (client) => (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid));
  const readings: string[] = [];
  const errors: string[] = [];
  const waits: ReaderWait[] = [];
  let done = false;
  const loops = clients.map(async (client) => {
    while (!done) {
      try {
        readings.push(await reading(client));
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  });
  const watching = (async () => {
    while (!done) waits.push(...(await watcher.query<ReaderWait>(WAITS_SQL, [pids])).rows.map((row) => ({ ...row, waitedMs: Number(row.waitedMs) })));
  })();
  try {
    await work();
  } finally {
    done = true;
    await Promise.all([...loops, watching]);
    await Promise.all([...clients, watcher].map((client) => client.end()));
  }
  return { readings, errors, waits };
}

test('elt build --full under readers of the marts: no read fails or waits for the build (only briefly for the swap), each reads the old set or the new one, and the marts then equal a fresh build', async () => {
  await insertRawEvents(db.pool, lakeRows(1, 2500));
  await insertRawEvents(db.pool, lakeRows(2, 2500));
  await build();
  // a load the marts do not hold yet: the rebuilt set differs from the old one
  await insertRawEvents(db.pool, lakeRows(3, 2500));
  const before = await reading(db.pool);

  const { readings, errors, waits } = await whileReading(3, () => build({ full: true }));
  const after = await reading(db.pool);

  expect(errors).toEqual([]);
  expect(after).not.toEqual(before);
  expect([...new Set(readings)].filter((seen) => seen !== before && seen !== after)).toEqual([]);
  // a reader waits only for the swap: never while the build creates or fills a relation, never long
  expect(waits.filter((wait) => BUILDING.test(wait.blockerQuery))).toEqual([]);
  expect(waits.filter((wait) => wait.waitedMs > 1000)).toEqual([]);

  // the marts equal those of a fresh build of the same loads
  const fresh = await createTestDatabase({ migrated: true });
  try {
    for (const load of [1, 2, 3]) await insertRawEvents(fresh.pool, lakeRows(load, 2500));
    await buildModels(fresh.pool, { dir: modelsDir, log: silentLogger });
    for (const [mart, key] of [
      ['marts.article_performance', 'article_id, date'],
      ['marts.category_ctr_daily', 'category, date'],
      ['marts.user_performance', 'user_id, date'],
      ['marts.daily_totals', 'date'],
      ['marts.busy_days', 'date'],
    ] as const) {
      const rows = async (pool: typeof db.pool) => (await pool.query(`select * from ${mart} order by ${key}`)).rows;
      expect(await rows(db.pool)).toEqual(await rows(fresh.pool));
    }
  } finally {
    await fresh.drop();
  }
});

test('a reader holding a mart in an open transaction: the build is built once, its swap gives way at each try (others wait at most a try), then exit 11 names the reader; production is as it was', async () => {
  await insertRawEvents(db.pool, lakeRows(1, 300));
  await build();
  const before = await reading(db.pool);
  const stored = (await db.pool.query('select name, checksum, source_view, settings_fingerprint from elt.models order by name')).rows;
  const holder = new Client({ connectionString: db.url, application_name: 'holds-a-mart' });
  await holder.connect();
  const starts: string[] = [];
  try {
    await holder.query('begin');
    await holder.query('select count(*) from marts.user_performance');
    const log = { ...silentLogger, info: (message: string) => (message.includes(' START ') ? starts.push(message) : undefined) };
    let failure: unknown;
    const { errors, waits } = await whileReading(2, () =>
      buildModels(db.pool, { dir: modelsDir, log, full: true, lockWait: { limitSeconds: 2, tryMs: 200 } }).catch((err: unknown) => {
        failure = err;
      }),
    );
    expect(failure).toBeInstanceOf(EltError);
    expect((failure as EltError).exitCode).toBe(ExitCode.lockWait);
    expect((failure as EltError).message).toMatch(
      /^elt build waited 2 s for its locks \(\d+ tries\): blocked by pid \d+ \(user [^,]+, application holds-a-mart, idle in transaction/,
    );
    // built once: a swap that gives way does not build again
    expect(starts).toHaveLength(CLICKSTREAM_COUNT + 2);
    expect(errors).toEqual([]);
    expect(waits.filter((wait) => BUILDING.test(wait.blockerQuery))).toEqual([]);
  } finally {
    await holder.end();
  }
  expect(await reading(db.pool)).toEqual(before);
  expect((await db.pool.query('select name, checksum, source_view, settings_fingerprint from elt.models order by name')).rows).toEqual(stored);
  expect((await db.pool.query("select count(*)::int as n from pg_class where relname like '%\\_\\_new%'")).rows).toEqual([{ n: 0 }]);
});

/** A mart whose build sleeps for public.pause_seconds: a test holds a build in the middle with it. */
const PAUSED_MART = `-- paused: one row per day, built slowly on purpose.
-- grain: one row per day; key: (date).
-- materialized: materialized_view
-- unique_key: date
with

totals as (
    select date, card_views from marts.daily_totals
),

final as (
    select t.date, t.card_views
    from totals as t
    cross join (select pg_sleep(coalesce(max(p.seconds), 0)) from public.pause_seconds as p) as pause
)

select * from final
`;

test('an elt build --full killed in the middle leaves production as it was, readable at once, nothing beside it; the next build builds', async () => {
  await db.pool.query('create table public.pause_seconds (seconds float)');
  writeFileSync(join(modelsDir, 'marts', 'paused.sql'), PAUSED_MART);
  await insertRawEvents(db.pool, lakeRows(1, 300));
  await build();
  await insertRawEvents(db.pool, lakeRows(2, 300));
  const before = await reading(db.pool);
  const stored = (await db.pool.query('select name, checksum, source_view, settings_fingerprint from elt.models order by name')).rows;
  await db.pool.query('insert into public.pause_seconds values (3)');

  const cli = startCli(['build', '--full', '--models', modelsDir], { env: { ...process.env, DATABASE_URL: db.url } });
  try {
    // until the build sleeps inside the last mart: every other model is built beside production by then
    for (let waited = 0; ; waited += 50) {
      const { rows } = await db.pool.query(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'",
      );
      if (rows[0]?.n === 1) break;
      if (waited > 60_000) throw new Error(`the build never reached the paused mart:\n${cli.output().stderr}`);
      await sleep(50);
    }
    cli.kill();
    expect((await cli.done).signal).toBe('SIGKILL');
  } finally {
    cli.kill();
  }
  // production reads as before, without waiting for the dead build's session (still sleeping on the server)
  const reader = new Client({ connectionString: db.url });
  await reader.connect();
  try {
    await reader.query("set lock_timeout = '500ms'");
    expect(await reading(reader)).toEqual(before);
  } finally {
    await reader.end();
  }
  await db.pool.query('delete from public.pause_seconds');
  // the next build waits for the dead session's end (its transaction rolled back: nothing of it stays), then builds
  const again = await build({ full: true });
  expect(again.built).toHaveLength(CLICKSTREAM_COUNT + 3);
  expect(await reading(db.pool)).not.toEqual(before);
  expect((await db.pool.query('select name, checksum, source_view from elt.models order by name')).rows).toEqual(
    stored.map(({ name, checksum, source_view }) => ({ name, checksum, source_view })),
  );
  expect((await db.pool.query("select count(*)::int as n from pg_class where relname like '%\\_\\_new%'")).rows).toEqual([{ n: 0 }]);
  expect((await db.pool.query("select count(*)::int as n from elt.refresh_log where model like '%\\_\\_new'")).rows).toEqual([{ n: 0 }]);
});

test('a rebuilt mart keeps the grants and revokes made on it by hand, its owner, its key and other indexes under their names, and its comments', async () => {
  await insertRawEvents(db.pool, lakeRows(1, 300));
  await build();
  const role = `${db.url.split('/').pop() as string}_bi_tool`;
  await db.pool.query(`create role ${role} nologin`);
  try {
    const reader = (await db.pool.query<{ name: string }>("select elt.role_name('reader') as name")).rows[0]?.name as string;
    await db.pool.query(`grant select on marts.article_performance to ${role} with grant option`);
    await db.pool.query(`grant select on marts.busy_days, marts.user_performance to ${role}`);
    await db.pool.query(`revoke select on marts.category_ctr_daily from ${reader}`);
    await db.pool.query(`alter materialized view marts.daily_totals owner to ${role}`);
    const catalog = () =>
      db.pool.query(
        `select c.relname, c.relkind, pg_get_userbyid(c.relowner) as owner, c.relacl::text as acl, obj_description(c.oid, 'pg_class') as comment,
                (select array_agg(i.indexrelid::regclass::text order by 1) from pg_index as i where i.indrelid = c.oid) as indexes,
                (select array_agg(col_description(c.oid, a.attnum) order by a.attnum) from pg_attribute as a where a.attrelid = c.oid and a.attnum > 0) as columns
           from pg_class as c where c.relnamespace in ('staging'::regnamespace, 'intermediate'::regnamespace, 'marts'::regnamespace) and c.relkind in ('r', 'v', 'm')
          order by c.relname`,
      );
    const before = (await catalog()).rows;
    expect((await build({ full: true })).built).toHaveLength(CLICKSTREAM_COUNT + 2);
    expect((await catalog()).rows).toEqual(before);
  } finally {
    await db.pool.query(`reassign owned by ${role} to current_user`);
    await db.pool.query(`drop owned by ${role}`);
    await db.pool.query(`drop role ${role}`);
  }
});
