import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { silentLogger } from '../../cli/log';
import { migrate } from '../../db/migrate';
import { listLocalObjects } from '../../loader/local-source';
import { loadObject } from '../../loader/load-object';
import { buildModels } from '../../transform/build-models';
import { refreshMarts } from '../../transform/refresh-marts';
import { insertRawEvents } from '../helpers/raw-events';
import { createTestDatabase, MODELS_DIR, serverUrl, type TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
const logins: Pool[] = [];
const suffix = `${process.pid}_${Math.floor(Math.random() * 1e6)}`;
const people = { reader: `rita_${suffix}`, analyst: `anna_${suffix}`, loader: `lars_${suffix}` };

/** A pool logged in as a new login role that is a member of `group`. */
async function loginAs(name: string, group: string): Promise<Pool> {
  await db.pool.query(`create role ${name} login password 'pw' in role ${group}`);
  const url = new URL(db.url);
  url.username = name;
  url.password = 'pw';
  const pool = new Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => undefined);
  logins.push(pool);
  return pool;
}

let reader: Pool;
let analyst: Pool;
let loader: Pool;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  await insertRawEvents(db.pool, [
    { ts: '2019-02-15 10:00:00 +0000', session: 's', event: 'my_news_card_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
  ]);
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  reader = await loginAs(people.reader, 'elt_reader');
  analyst = await loginAs(people.analyst, 'elt_analyst');
  loader = await loginAs(people.loader, 'elt_loader');
});

afterAll(async () => {
  await Promise.all(logins.map((pool) => pool.end()));
  await db.drop();
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  for (const name of Object.values(people)) await admin.query(`drop role if exists ${name}`);
  await admin.end();
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

test('an analyst reads and refreshes the marts (procedure, and MAINTAIN on Postgres 17+), and cannot touch raw', async () => {
  await expect(analyst.query('select count(*) from marts.user_performance')).resolves.toBeTruthy();
  await expect(analyst.query('call elt.refresh_marts()')).resolves.toBeTruthy();
  const { rows } = await analyst.query<{ version: number }>("select current_setting('server_version_num')::int as version");
  if ((rows[0]?.version ?? 0) >= 170000) {
    await expect(analyst.query('refresh materialized view concurrently marts.article_performance')).resolves.toBeTruthy();
  }
  await expect(analyst.query('select * from raw.raw_events')).rejects.toThrow(denied);
  await expect(analyst.query('delete from raw.raw_events')).rejects.toThrow(denied);
});

test('the loader role loads lake files into raw, and cannot read the marts', async () => {
  const [object] = listLocalObjects(join(__dirname, '..', 'fixtures', 'lake-sample', '2019-02-15.tsv'));
  const result = await loadObject(loader, object!, { maxRejectRatio: 0.05 });
  expect(result).toMatchObject({ status: 'loaded', rows: 30 });
  await expect(loader.query('select * from marts.article_performance')).rejects.toThrow(denied);
  await expect(loader.query('select * from staging.stg_events')).rejects.toThrow(denied);
});

test('a mart rebuilt by elt build keeps its grants for readers', async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger, full: true });
  await expect(reader.query('select count(*) from marts.category_ctr_daily')).resolves.toBeTruthy();
});

test('a refresh does not block a reader holding a long select on a mart, and the reader is not blocked either', async () => {
  const client = await reader.connect();
  try {
    // the reader sits inside a transaction that has read the mart (and holds its lock)
    await client.query('begin');
    await client.query('select count(*) from marts.article_performance');
    let selectFinished = false;
    const longSelect = client.query('select pg_sleep(1.5), count(*) from marts.article_performance').then(() => {
      selectFinished = true;
    });
    const refreshed = await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger, only: ['marts.article_performance'] });
    // the refresh completed while the reader's select was still running: neither waited for the other
    expect(selectFinished).toBe(false);
    expect(refreshed.map((mart) => [mart.name, mart.refreshed])).toEqual([['marts.article_performance', true]]);
    await longSelect;
    await client.query('commit');
  } finally {
    client.release();
  }
});

test('two refreshes at once both succeed: they wait for each other instead of failing', async () => {
  const before = await db.pool.query<{ n: number }>("select count(*)::int as n from elt.refresh_log where how in ('concurrently', 'plain')");
  await Promise.all([analyst.query('call elt.refresh_marts()'), refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger })]);
  const after = await db.pool.query<{ n: number }>("select count(*)::int as n from elt.refresh_log where how in ('concurrently', 'plain')");
  expect((after.rows[0]?.n ?? 0) - (before.rows[0]?.n ?? 0)).toBe(6);
});

test('migrations succeed for a database owner without superuser or CREATEROLE when the group roles already exist', async () => {
  const owner = `olga_${suffix}`;
  const database = `elt_owner_${suffix}`;
  const admin = new Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`create role ${owner} login password 'pw'`);
    await admin.query(`create database ${database} owner ${owner}`);
    const url = new URL(serverUrl());
    url.username = owner;
    url.password = 'pw';
    url.pathname = `/${database}`;
    const pool = new Pool({ connectionString: url.toString() });
    // an idle connection ended by the server (the forced drop below) must not crash the test process
    pool.on('error', () => undefined);
    try {
      await expect(migrate(pool, { dir: join(__dirname, '..', '..', 'migrations'), log: silentLogger })).resolves.toMatchObject({ applied: expect.any(Array) });
      const { rows } = await pool.query("select has_schema_privilege('elt_reader', 'marts', 'usage') as reader_can_use_marts");
      expect(rows).toEqual([{ reader_can_use_marts: true }]);
    } finally {
      await pool.end();
    }
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.query(`drop role if exists ${owner}`);
    await admin.end();
  }
});
