import { startS3Server, type TestS3Server } from '../helpers/s3-server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { createTestDatabase } from '../helpers/test-database';
import { killAll, runCliBounded, startCli, waitFor } from './cli-process';
import { lakeText, ledger, orphanRawRows, rawRowsByUri } from './lake-text';

// Real `elt` child processes against s3rver (behind a proxy that can slow the
// object bodies down): a load killed with SIGKILL mid-object, and two runs at once.
const BUCKET = 'crash-bucket';

let s3: TestS3Server;
let proxy: TcpProxy;

beforeAll(async () => {
  s3 = await startS3Server({ childProcess: true });
  proxy = await startTcpProxy(s3.port);
  await s3.createBucket(BUCKET);
});
afterEach(() => {
  killAll();
  proxy.trickle(undefined);
  proxy.stall(undefined);
});
afterAll(async () => {
  killAll();
  await Promise.allSettled([proxy?.close(), s3?.stop()]);
});

test("a load killed with SIGKILL mid-object leaves none of its rows; the ledger shows 'loading'; the next run loads it once and marks the dead attempt 'abandoned'", async () => {
  const db = await createTestDatabase({ migrated: true });
  try {
    const uri = `s3://${BUCKET}/crash/2019-02-15.tsv`;
    await s3.putObject(BUCKET, 'crash/2019-02-15.tsv', lakeText('crash', 3000)); // ~200 kB
    // ~40 kB/s: the object would take seconds to arrive, so the kill lands inside its COPY
    proxy.trickle({ bytesPerTick: 4096, intervalMs: 100, match: /^GET \/crash-bucket\/crash\// });
    const env = { ...s3.env(undefined, proxy.url), DATABASE_URL: db.url };
    const victim = startCli(['load', '--source', `s3://${BUCKET}/crash/`], { env });

    // wait until the attempt is recorded and its COPY has taken rows
    const pid = await waitFor('the COPY of the object to be under way', async () => {
      const { rows } = await db.pool.query<{ pid: number; tuples: string }>(
        `select l.backend_pid as pid, p.tuples_processed as tuples
           from raw.loads l join pg_stat_progress_copy p on p.pid = l.backend_pid
          where l.source_uri = $1 and l.status = 'loading'`,
        [uri],
      );
      const progress = rows[0];
      return progress && Number(progress.tuples) > 0 ? progress.pid : undefined;
    });
    victim.kill();
    const killed = await victim.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(proxy.bodyBytesFor(/crash\/2019-02-15\.tsv/)).toBeLessThan(150_000); // it really died mid-object

    // its session ends once Postgres notices the client is gone
    await waitFor('the killed backend to exit', async () => {
      const { rowCount } = await db.pool.query('select 1 from pg_stat_activity where pid = $1', [pid]);
      return rowCount === 0 ? true : undefined;
    });
    expect((await ledger(db.pool, uri)).map((l) => [l.status, l.backend_pid])).toEqual([['loading', pid]]);
    expect(await rawRowsByUri(db.pool, uri)).toEqual({});
    expect((await db.pool.query<{ n: number }>('select count(*)::int as n from raw.raw_events')).rows[0]?.n).toBe(0);

    proxy.trickle(undefined);
    const next = await runCliBounded(['load', '--source', `s3://${BUCKET}/crash/`], { env });
    expect(next.stderr).not.toMatch(/error/);
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(/1 files: 1 loaded, 0 skipped, 0 failed; 3,000 rows/);
    expect((await ledger(db.pool, uri)).map((l) => [l.status, l.row_count])).toEqual([
      ['abandoned', null],
      ['loaded', '3000'],
    ]);
    expect(await rawRowsByUri(db.pool, uri)).toEqual({ [uri]: 3000 });
    expect(await orphanRawRows(db.pool)).toBe(0);
  } finally {
    await db.drop();
  }
});

test('two elt runs started at once on one database load each object exactly once: one GET per object, raw rows as for a single load', async () => {
  const db = await createTestDatabase(); // not migrated: both runs migrate at once too
  try {
    const keys = Array.from({ length: 6 }, (_, i) => `race/2019-02-${String(15 + i).padStart(2, '0')}.tsv`);
    for (const [i, key] of keys.entries()) await s3.putObject(BUCKET, key, lakeText(`race${i}`, 600 + i));
    // slow bodies (~0.5 s per object, a load phase of 1.5 s or more) so that the two runs contend for the same objects
    proxy.trickle({ bytesPerTick: 8192, intervalMs: 60, match: /^GET \/crash-bucket\/race\// });
    const env = { ...s3.env(undefined, proxy.url), DATABASE_URL: db.url };
    const args = ['run', '--source', `s3://${BUCKET}/race/`, '--concurrency', '2'];

    let sawLockWait = false;
    let running = true;
    const watcher = (async () => {
      while (running) {
        // the load locks are rows of elt.locks: a wait for one shows as a wait on the holder's transaction or the row
        const { rowCount } = await db.pool.query("select 1 from pg_locks where locktype in ('advisory', 'transactionid', 'tuple') and not granted");
        if ((rowCount ?? 0) > 0) sawLockWait = true;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const [a, b] = await Promise.all([runCliBounded(args, { env, timeoutMs: 45_000 }), runCliBounded(args, { env, timeoutMs: 45_000 })]).finally(
      () => {
        running = false;
      },
    );
    await watcher;

    expect([a.code, b.code]).toEqual([0, 0]);
    const counts = (stdout: string) => {
      const match = /6 files: (\d+) loaded, (\d+) skipped, (\d+) failed/.exec(stdout);
      return match ? match.slice(1).map(Number) : [];
    };
    const [loadedA = -1, skippedA = -1] = counts(a.stdout);
    const [loadedB = -1, skippedB = -1] = counts(b.stdout);
    expect(loadedA + loadedB).toBe(6);
    expect(skippedA + skippedB).toBe(6);
    expect(sawLockWait).toBe(true);

    const byUri = await rawRowsByUri(db.pool, `s3://${BUCKET}/race/`);
    expect(byUri).toEqual(Object.fromEntries(keys.map((key, i) => [`s3://${BUCKET}/${key}`, 600 + i])));
    // every object: one ledger row, loaded (the losing attempts were discarded)
    const rows = await ledger(db.pool, `s3://${BUCKET}/race/`);
    expect(rows.map((l) => [l.source_uri, l.status]).sort()).toEqual(keys.map((key) => [`s3://${BUCKET}/${key}`, 'loaded']));
    // and each body was downloaded once: the loser waited on the lock, saw it loaded, and never fetched it
    for (const key of keys) {
      expect(proxy.requests.filter((line) => line.startsWith(`GET /${BUCKET}/${key}?`))).toHaveLength(1);
    }
    const { rows: mart } = await db.pool.query<{ displays: number }>('select sum(card_views)::int as displays from marts.category_ctr_daily');
    expect(mart[0]?.displays).toBe(keys.reduce((sum, _, i) => sum + 600 + i, 0));
  } finally {
    await db.drop();
  }
});

// The database ends the session while no query runs on it (idle_in_transaction_session_timeout,
// while GetObject is slow to answer): pg emits 'error' on the loader's client, which must
// fail the object, not crash the CLI with a stack trace.
test("the database ending the loader's session while S3 is slow to answer (idle-in-transaction timeout): the object fails and the run exits 4 with one-line errors, not a crash", async () => {
  const db = await createTestDatabase({ migrated: true });
  try {
    const name = new URL(db.url).pathname.slice(1);
    await db.pool.query(`alter database ${name} set idle_in_transaction_session_timeout = '300ms'`);
    await s3.putObject(BUCKET, 'idle/2019-02-15.tsv', lakeText('idle', 5));
    proxy.stall({ ms: 1500, match: /^GET \/crash-bucket\/idle\// });
    const env = { ...s3.env(undefined, proxy.url), DATABASE_URL: db.url };
    const result = await runCliBounded(['load', '--source', `s3://${BUCKET}/idle/`, '--retries', '0'], { env });
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toMatch(/Unhandled 'error' event/);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/1 files: 0 loaded, 0 skipped, 1 failed/);
    expect(await rawRowsByUri(db.pool, `s3://${BUCKET}/idle/`)).toEqual({});
  } finally {
    await db.drop();
  }
});
