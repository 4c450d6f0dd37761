import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { silentLogger } from '../../core/log';
import { migrate } from '../../db/migrate';
import { listLocalObjects } from '../../loader/sources/local-source';
import { loadLake } from '../../loader/load-lake';
import { buildModels } from '../../transform/build-models';
import { refreshMarts } from '../../transform/refresh-marts';
import { insertRawEvents } from '../helpers/raw-events';
import { MIGRATIONS_DIR, MODELS_DIR, serverUrl, type TestDatabase } from '../helpers/test-database';
import { createBuiltProjectDatabase, createLogins, projectRoles } from '../helpers/logins';

let db: TestDatabase;
const logins = createLogins();
let roles: ReturnType<typeof projectRoles>;
let reader: Pool;
let analyst: Pool;
let loader: Pool;

beforeAll(async () => {
  ({ db, roles } = await createBuiltProjectDatabase());
  reader = logins.pool(db.url, await logins.create('rita', [roles.reader]));
  analyst = logins.pool(db.url, await logins.create('anna', [roles.analyst]));
  loader = logins.pool(db.url, await logins.create('lars', [roles.loader]));
});

afterAll(async () => {
  await logins.endPools();
  await db.drop(); // and the project's roles
  await logins.dropAll();
});

const denied = /permission denied/;

test('a BI reader reads the marts, and cannot read raw or staging, write anything, or refresh', async () => {
  await expect(reader.query('select count(*) from marts.article_performance')).resolves.toBeTruthy();
  await expect(reader.query('select * from raw.raw_events')).rejects.toThrow(denied);
  await expect(reader.query('select * from staging.stg_events')).rejects.toThrow(denied);
  await expect(reader.query("insert into raw.loads (source_uri, content_id, status) values ('x', 'y', 'loaded')")).rejects.toThrow(denied);
  await expect(reader.query('refresh materialized view marts.article_performance')).rejects.toThrow(/must be owner|permission denied/);
  await expect(reader.query('call elt.refresh_marts()')).rejects.toThrow(denied);
});

test('an analyst reads the marts and refreshes them through the procedure only (no direct refresh, which could lock readers out), and cannot touch raw', async () => {
  await expect(analyst.query('select count(*) from marts.user_performance')).resolves.toBeTruthy();
  await expect(analyst.query('call elt.refresh_marts()')).resolves.toBeTruthy();
  await expect(analyst.query('refresh materialized view marts.article_performance')).rejects.toThrow(/must be owner|permission denied/);
  await expect(analyst.query('refresh materialized view concurrently marts.article_performance')).rejects.toThrow(/must be owner|permission denied/);
  // the marts are tables kept by the procedure: an analyst cannot write them, and even their owner cannot refresh one
  await expect(analyst.query('delete from marts.article_performance')).rejects.toThrow(denied);
  await expect(analyst.query("insert into marts.category_ctr_daily (category, date) values ('x', '2019-02-15')")).rejects.toThrow(denied);
  await expect(db.pool.query('refresh materialized view marts.article_performance')).rejects.toThrow(
    /"article_performance" is not a materialized view/,
  );
  await expect(analyst.query('select * from raw.raw_events')).rejects.toThrow(denied);
  await expect(analyst.query('delete from raw.raw_events')).rejects.toThrow(denied);
});

test('the loader role loads lake files into raw (load ids reserved in listing order), and cannot read the marts', async () => {
  const objects = listLocalObjects(join(__dirname, '..', 'fixtures', 'lake-sample', '2019-02-15.tsv'));
  const summary = await loadLake(loader, objects, silentLogger);
  expect(summary.objects).toEqual([expect.objectContaining({ status: 'loaded', rows: 30 })]);
  await expect(loader.query('select * from marts.article_performance')).rejects.toThrow(denied);
  await expect(loader.query('select * from staging.stg_events')).rejects.toThrow(denied);
});

test('a mart rebuilt by elt build keeps its grants for readers', async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger, full: true });
  await expect(reader.query('select count(*) from marts.category_ctr_daily')).resolves.toBeTruthy();
});

/** Runs `refresh` while a reader sits in a long select on a mart: neither may wait for the other, and the refresh did change the mart. */
async function refreshDuringLongSelect(refresh: () => Promise<unknown>): Promise<void> {
  // a new card view of an article and day the mart has: the refresh rewrites that row
  const { rows } = await db.pool.query<{ article_id: string; date: string; card_views: string }>(
    'select article_id, date::text as date, card_views from marts.article_performance order by article_id, date limit 1',
  );
  const target = rows[0];
  if (!target) throw new Error('the mart is empty');
  await insertRawEvents(db.pool, [
    {
      ts: `${target.date} 12:00:00 +0000`,
      session: `s-${Date.now()}`,
      event: 'my_news_card_viewed',
      user: 'late',
      attributes: { id: target.article_id },
    },
  ]);
  const client = await reader.connect();
  try {
    // the reader sits inside a transaction that has read the mart (and holds its lock)
    await client.query('begin');
    await client.query('select count(*) from marts.article_performance');
    let selectFinished = false;
    const longSelect = client.query('select pg_sleep(1.5), count(*) from marts.article_performance').then(() => {
      selectFinished = true;
    });
    await refresh();
    // the refresh completed while the reader's select was still running: neither waited for the other
    expect(selectFinished).toBe(false);
    await longSelect;
    await client.query('commit');
  } finally {
    client.release();
  }
  const { rows: after } = await db.pool.query<{ card_views: string }>(
    'select card_views from marts.article_performance where article_id = $1 and date = $2',
    [target.article_id, target.date],
  );
  expect(Number(after[0]?.card_views)).toBe(Number(target.card_views) + 1);
}

test('a refresh does not block a reader holding a long select on a mart, and the reader is not blocked either', async () => {
  await refreshDuringLongSelect(async () => {
    const refreshed = await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger, only: ['marts.article_performance'] });
    expect(refreshed.map((mart) => [mart.name, mart.refreshed])).toEqual([['marts.article_performance', true]]);
  });
});

test("an analyst's call elt.refresh_marts() does not block a reader holding a long select", async () => {
  await refreshDuringLongSelect(() => analyst.query("call elt.refresh_marts(array['marts.article_performance'])"));
});

test('a normal refresh prints no NOTICE', async () => {
  // a load not yet folded into the incremental models: the by-load and by-key models both have work to do
  await insertRawEvents(db.pool, [
    { ts: '2019-02-16 10:00:00 +0000', session: 't', event: 'my_news_card_viewed', user: 'v', attributes: { id: 'b', category: 'news' } },
  ]);
  const client = await db.pool.connect();
  const notices: string[] = [];
  client.on('notice', (notice) => notices.push(notice.message ?? ''));
  try {
    await client.query('call elt.refresh_marts()');
    await client.query('call elt.refresh_marts()');
  } finally {
    client.release();
  }
  expect(notices).toEqual([]);
});

test('two refreshes at once both succeed: they wait for each other instead of failing', async () => {
  const count = "select count(*)::int as n from elt.refresh_log where model like 'marts.%' and how in ('concurrently', 'plain', 'incremental')";
  const before = await db.pool.query<{ n: number }>(count);
  await Promise.all([analyst.query('call elt.refresh_marts()'), refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger })]);
  const after = await db.pool.query<{ n: number }>(count);
  expect((after.rows[0]?.n ?? 0) - (before.rows[0]?.n ?? 0)).toBe(6);
});

test('migrations succeed for a database owner without superuser or CREATEROLE when the project roles already exist, and grant them', async () => {
  const owner = `olga_${logins.suffix}`;
  const database = `elt_owner_${logins.suffix}`;
  const ownerRoles = { reader: `${database}_reader`, analyst: `${database}_analyst`, loader: `${database}_loader` };
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`create role ${owner} login password 'pw'`);
    await admin.query(`create database ${database} owner ${owner}`);
    for (const role of Object.values(ownerRoles)) await admin.query(`create role ${role} nologin`);
    const url = new URL(serverUrl());
    url.username = owner;
    url.password = 'pw';
    url.pathname = `/${database}`;
    const pool = new Pool({ connectionString: url.toString() });
    // an idle connection ended by the server (the forced drop below) must not crash the test process
    pool.on('error', () => undefined);
    try {
      await expect(migrate(pool, { dir: MIGRATIONS_DIR, log: silentLogger })).resolves.toMatchObject({ applied: expect.any(Array) });
      const { rows } = await pool.query("select has_schema_privilege($1, 'marts', 'usage') as reader_can_use_marts", [ownerRoles.reader]);
      expect(rows).toEqual([{ reader_can_use_marts: true }]);
    } finally {
      await pool.end();
    }
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`);
    for (const role of [...Object.values(ownerRoles), owner]) await admin.query(`drop role if exists ${role}`);
    await admin.end();
  }
});
