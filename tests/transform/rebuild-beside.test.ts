import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { insertRawEvents, type LakeRow } from '../helpers/raw-events';
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

let db: TestDatabase;
let modelsDir: string;

beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  modelsDir = copyOfModels();
  writeFileSync(join(modelsDir, 'marts', 'daily_totals.sql'), DAILY_TOTALS);
  writeFileSync(join(modelsDir, 'marts', 'busy_days.sql'), BUSY_DAYS);
});
afterEach(() => db.drop());

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
