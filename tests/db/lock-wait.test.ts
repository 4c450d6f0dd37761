import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { migrate } from '../../db/migrate';
import { buildModels } from '../../transform/build-models';
import { refreshMarts } from '../../transform/refresh-marts';
import { insertRawEvents } from '../helpers/raw-events';
import { createTestDatabase, MIGRATIONS_DIR, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

// A reader's open transaction must not stall a build, refresh or migration without limit, nor
// queue every other reader behind the strong lock it waits for (issue 23, item 8): each try
// waits a short lock_timeout, then lets go of everything and tries again, up to a limit; then
// it fails with one line naming the blocking session.

let db: TestDatabase;
const clients: Client[] = [];
beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  await insertRawEvents(db.pool, [
    { ts: '2019-02-15 10:00:00 +0000', session: 's', event: 'my_news_card_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
    { ts: '2019-02-15 10:01:00 +0000', session: 's', event: 'article_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
  ]);
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.end().catch(() => undefined);
  await db.drop();
});

/** A session of its own, as an analyst's notebook or psql would open one. */
async function session(applicationName: string): Promise<Client> {
  const client = new Client({ connectionString: db.url, application_name: applicationName });
  await client.connect();
  clients.push(client);
  return client;
}

/** A reader in an open transaction that has read `relation`: it holds ACCESS SHARE on it until it commits. */
async function openReader(relation: string): Promise<{ client: Client; pid: number }> {
  const client = await session('analyst-notebook');
  await client.query('begin');
  await client.query(`select count(*) from ${relation}`);
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return { client, pid: rows[0]?.pid as number };
}

/** Waits until some session waits for a lock on `relation` that it has not been granted. */
async function untilSomeoneWaitsOn(relation: string): Promise<void> {
  for (let tries = 0; tries < 100; tries += 1) {
    const { rows } = await db.pool.query('select from pg_locks where relation = to_regclass($1) and not granted', [relation]);
    if (rows.length > 0) return;
    await sleep(50);
  }
  throw new Error(`nobody waited for a lock on ${relation}`);
}

/** How long one `select count(*)` of `relation` by another reader takes (at most 5 s: then it is cancelled). */
async function secondReaderWait(reader: Client, relation: string): Promise<number> {
  const started = performance.now();
  await reader.query(`select count(*) from ${relation}`);
  return performance.now() - started;
}

const BLOCKER = (pid: number) =>
  new RegExp(`blocked by pid ${pid} \\(user [^,]+, application analyst-notebook, idle in transaction since \\d{4}-\\d\\d-\\d\\dT[^)]*\\)`);

test("a build behind a reader's open transaction never queues a second reader for more than a few seconds, retries, and succeeds once the reader commits", async () => {
  const mart = 'marts.article_performance';
  const reader = await openReader(mart);
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (message: string) => warnings.push(message) };
  const building = buildModels(db.pool, { dir: MODELS_DIR, log, select: [`${mart}+`], lockWait: { limitSeconds: 60 } });
  building.catch(() => undefined);
  const second = await session('second-reader');
  await second.query("set statement_timeout = '5s'");
  const waits: number[] = [];
  for (let round = 0; round < 2; round += 1) {
    // the moment the build waits for its ACCESS EXCLUSIVE lock: the second reader queues behind it
    await untilSomeoneWaitsOn(mart);
    waits.push(await secondReaderWait(second, mart).catch(() => Infinity));
  }
  expect(Math.max(...waits)).toBeLessThan(3000);
  // it waited again after the first try gave up (the second round saw it waiting), and said who it waits for
  expect(warnings.length).toBeGreaterThanOrEqual(1);
  expect(warnings[0]).toMatch(BLOCKER(reader.pid));
  await reader.client.query('commit');
  const result = await building;
  expect(result.built).toEqual([mart]);
});

test('a build that cannot get its locks within the limit fails with one line naming the blocking session, and changes nothing', async () => {
  const reader = await openReader('marts.article_performance');
  const { rows: before } = await db.pool.query('select name, built_at from elt.models order by name');
  const started = performance.now();
  const failure = await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger, full: true, lockWait: { limitSeconds: 2 } }).catch(
    (err: unknown) => err,
  );
  expect(performance.now() - started).toBeLessThan(6000);
  expect(failure).toMatchObject({ exitCode: ExitCode.lockWait });
  const message = (failure as Error).message;
  expect(message).toMatch(/^elt build waited 2 s for its locks \(\d+ tries\): /);
  expect(message).toMatch(BLOCKER(reader.pid));
  expect(message).not.toContain('\n');
  expect((await db.pool.query('select name, built_at from elt.models order by name')).rows).toEqual(before);
});

test("a refresh that must recompute a by-load table behind a reader's open transaction fails within the limit naming it, and succeeds once the reader commits", async () => {
  // a new reporting time zone: the by-load tables are recomputed in full (truncate: ACCESS EXCLUSIVE)
  await db.pool.query("update elt.settings set reporting_time_zone = 'Europe/Berlin'");
  const table = 'intermediate.int_article_days_by_load';
  const reader = await openReader(table);
  const failure = await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger, lockWait: { limitSeconds: 2 } }).catch((err: unknown) => err);
  expect(failure).toMatchObject({ exitCode: ExitCode.lockWait, message: expect.stringMatching(/^elt refresh waited 2 s for its locks/) });
  expect((failure as Error).message).toMatch(BLOCKER(reader.pid));

  const refreshing = refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger, lockWait: { limitSeconds: 60 } });
  refreshing.catch(() => undefined);
  await untilSomeoneWaitsOn(table);
  const second = await session('second-reader');
  await second.query("set statement_timeout = '5s'");
  expect(await secondReaderWait(second, table).catch(() => Infinity)).toBeLessThan(3000);
  await reader.client.query('commit');
  await refreshing;
  const { rows } = await db.pool.query('select how from elt.refresh_log where model = $1 order by refreshed_at desc limit 1', [table]);
  expect(rows).toEqual([{ how: 'recomputed' }]);
});

test("a migration that alters a table behind a reader's open transaction fails within the limit naming it, and succeeds once the reader commits", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elt-migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  writeFileSync(join(dir, '9999_lock_probe.sql'), 'alter table raw.loads add column lock_probe integer;\n');
  const proceduresDir = join(MIGRATIONS_DIR, '..', 'db', 'procedures');
  const reader = await openReader('raw.loads');
  const failure = await migrate(db.pool, { dir, proceduresDir, log: silentLogger, lockWait: { limitSeconds: 2 } }).catch((err: unknown) => err);
  expect(failure).toMatchObject({ exitCode: ExitCode.lockWait, message: expect.stringMatching(/^elt migrate waited 2 s for its locks/) });
  expect((failure as Error).message).toMatch(BLOCKER(reader.pid));

  const migrating = migrate(db.pool, { dir, proceduresDir, log: silentLogger, lockWait: { limitSeconds: 60 } });
  migrating.catch(() => undefined);
  await untilSomeoneWaitsOn('raw.loads');
  await reader.client.query('commit');
  expect((await migrating).applied).toEqual(['9999_lock_probe.sql']);
});
