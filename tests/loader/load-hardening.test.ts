import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Pool, type PoolConfig } from 'pg';
import { silentLogger } from '../../core/log';
import type { LakeObject } from '../../loader/sources/lake-object';
import { loadLake } from '../../loader/load-lake';
import { loadObject } from '../../loader/load-object';
import { listLocalObjects } from '../../loader/sources/local-source';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// The loader under stress, on local files and hand-made streams (no S3): the
// reject-ratio threshold, concurrent loads of one object, a source that breaks
// mid-way, and a database session killed mid-COPY.
const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const row = (tag: string) => `2019-02-15 03:07:03.662 +0000\ts-${tag}\ttop_news_card_viewed\tu-${tag}\t{"id":"a-${tag}"}`;
const BAD = 'not-a-time\ts\tx\tu\t{}';

function lake(tag: string, good: number, bad = 0): string {
  const lines = [HEADER];
  for (let i = 0; i < good; i += 1) lines.push(row(`${tag}-${i}`));
  for (let i = 0; i < bad; i += 1) lines.push(BAD);
  return `${lines.join('\n')}\n`;
}

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  dir = mkdtempSync(join(tmpdir(), 'elt-hardening-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): LakeObject {
  const path = join(dir, name);
  writeFileSync(path, content);
  return listLocalObjects(path)[0] as LakeObject;
}

async function ledger(uri: string) {
  const { rows } = await db.pool.query<{
    load_id: string;
    status: string;
    row_count: string | null;
    error: string | null;
    backend_pid: number | null;
  }>('select load_id, status, row_count, error, backend_pid from raw.loads where source_uri = $1 order by load_id', [uri]);
  return rows;
}

async function rawRows(uri: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    'select count(*)::int as n from raw.raw_events e join raw.loads l using (load_id) where l.source_uri = $1',
    [uri],
  );
  return rows[0]?.n ?? -1;
}

/**
 * A pool whose clients record, instead of throwing, an 'error' event that nobody
 * listens to. pg emits 'error' on a client whose session dies; pg-pool only
 * listens while the client is idle, so a checked-out client with no listener of
 * its own would throw it as an uncaught exception (crashing the process, or here
 * the jest worker).
 */
function poolRecordingUnhandledErrors(options: PoolConfig): { pool: Pool; unhandled: Error[] } {
  const pool = new Pool(options);
  const unhandled: Error[] = [];
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    const emit = client.emit.bind(client);
    client.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
      if (event === 'error' && client.listenerCount('error') === 0) {
        unhandled.push(args[0] instanceof Error ? args[0] : new Error(String(args[0])));
        return true;
      }
      return emit(event, ...args);
    }) as typeof client.emit;
  });
  return { pool, unhandled };
}

/** A lake object served from memory by a stream the test controls. */
function streamObject(uri: string, size: number, open: () => Readable): LakeObject {
  return { uri, size, gzip: false, format: 'tsv-lake', open: async () => open() };
}

describe('the reject-ratio threshold', () => {
  test('5 rejected of 100 rows (exactly the 5% limit) loads, keeping the 5 rejects', async () => {
    const object = file('ratio-at-limit.tsv', lake('at', 95, 5));
    expect(await loadObject(db.pool, object, { maxRejectRatio: 0.05 })).toMatchObject({ status: 'loaded', rows: 95, rejects: 5 });
    expect(await rawRows(object.uri)).toBe(95);
  });

  test('6 rejected of 100 rows (just over the 5% limit) fails: no rows, no rejects, the ledger row failed with the counts', async () => {
    const object = file('ratio-over.tsv', lake('over', 94, 6));
    const result = await loadObject(db.pool, object, { maxRejectRatio: 0.05 });
    expect(result).toMatchObject({ status: 'failed', transient: false });
    expect(result.error).toMatch(/^6 of 100 rows rejected \(6\.0%, over the 5% limit\); first: line 96: TIMESTAMP "not-a-time"/);
    expect(await rawRows(object.uri)).toBe(0);
    const rejects = await db.pool.query('select 1 from raw.rejected_rows where source_uri = $1', [object.uri]);
    expect(rejects.rowCount).toBe(0);
    expect(await ledger(object.uri)).toEqual([expect.objectContaining({ status: 'failed', row_count: '94', error: result.error })]);
  });

  test('a ratio of 0 fails an object with a single reject, and 1 loads an object whose rows are all rejected', async () => {
    expect(await loadObject(db.pool, file('ratio-zero.tsv', lake('z', 50, 1)), { maxRejectRatio: 0 })).toMatchObject({ status: 'failed' });
    expect(await loadObject(db.pool, file('ratio-one.tsv', lake('o', 0, 3)), { maxRejectRatio: 1 })).toMatchObject({
      status: 'loaded',
      rows: 0,
      rejects: 3,
    });
  });

  // the limit is printed as given, without floating-point noise (0.07 * 100 is 7.000000000000001)
  test('the failure message states the limit as given: --max-reject-ratio 0.07 reads "over the 7% limit"', async () => {
    const result = await loadObject(db.pool, file('ratio-seven.tsv', lake('s', 90, 10)), { maxRejectRatio: 0.07 });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^10 of 100 rows rejected \(10\.0%, over the 7% limit\)/);
  });
});

test('two loadObject calls of the same object at once: one loads, the other is skipped, the rows are there once', async () => {
  const object = file('twice-at-once.tsv', lake('twice', 5000));
  const results = await Promise.all([loadObject(db.pool, object, { maxRejectRatio: 0.05 }), loadObject(db.pool, object, { maxRejectRatio: 0.05 })]);
  expect(results.map((r) => r.status).sort()).toEqual(['loaded', 'skipped']);
  expect(results.reduce((sum, r) => sum + r.rows, 0)).toBe(5000);
  expect(await rawRows(object.uri)).toBe(5000);
  // the loser's attempt was discarded: one ledger row
  expect((await ledger(object.uri)).map((l) => l.status)).toEqual(['loaded']);
});

test('concurrency 3 over 6 files: 3 objects are read at once (never more), and all 6 load exactly once', async () => {
  let open = 0;
  let maxOpen = 0;
  let opened = 0;
  let releaseFirst: () => void = () => undefined;
  const firstThree = new Promise<void>((resolve) => (releaseFirst = resolve));
  const objects = Array.from({ length: 6 }, (_, i) => {
    const local = file(`concurrent-${i}.tsv`, lake(`c${i}`, 2000 + i));
    return {
      ...local,
      open: async () => {
        const stream = await local.open();
        open += 1;
        opened += 1;
        maxOpen = Math.max(maxOpen, open);
        stream.once('close', () => (open -= 1));
        // the first objects wait for each other (at most 2 s), so the overlap does not depend on timing
        if (opened === 3) releaseFirst();
        if (opened <= 3) await Promise.race([firstThree, new Promise((resolve) => setTimeout(resolve, 2000))]);
        return stream;
      },
    } satisfies LakeObject;
  });
  const summary = await loadLake(db.pool, objects, silentLogger, { concurrency: 3 });
  expect(summary).toMatchObject({ loaded: 6, skipped: 0, failed: 0, rows: 6 * 2000 + 15 });
  expect(maxOpen).toBe(3);
  for (const [i, object] of objects.entries()) {
    expect(await rawRows(object.uri)).toBe(2000 + i);
    expect((await ledger(object.uri)).map((l) => l.status)).toEqual(['loaded']);
  }
  // and again: all skipped
  expect(await loadLake(db.pool, objects, silentLogger, { concurrency: 3 })).toMatchObject({ loaded: 0, skipped: 6, rows: 0 });
});

test("a source stream that errors mid-way: failed, no rows, the attempt row 'failed' with the error, and the connection still usable", async () => {
  // one connection only: the next load must get the very client the failure used
  const pool = new Pool({ connectionString: db.url, max: 1 });
  pool.on('error', () => undefined);
  try {
    const body = lake('broken', 500);
    const cutAt = Math.floor(body.length / 2);
    const object = streamObject('test://broken-stream/day.tsv', body.length, () => {
      let sent = false;
      return new Readable({
        read() {
          if (!sent) {
            sent = true;
            this.push(Buffer.from(body.slice(0, cutAt)));
          } else {
            this.destroy(new Error('disk on fire'));
          }
        },
      });
    });
    const result = await loadObject(pool, object, { maxRejectRatio: 0.05 });
    expect(result).toMatchObject({ status: 'failed', rows: 0, transient: false });
    expect(result.error).toBe(`reading failed after ${cutAt} of ${body.length} bytes: disk on fire`);
    expect(await rawRows(object.uri)).toBe(0);
    expect((await ledger(object.uri)).map((l) => [l.status, l.error])).toEqual([['failed', result.error]]);

    // the same session, not left inside a transaction: now() is this statement's own start
    const { rows } = await pool.query<{ fresh: boolean; pid: number }>('select now() = statement_timestamp() as fresh, pg_backend_pid() as pid');
    expect(rows).toEqual([{ fresh: true, pid: (await ledger(object.uri))[0]?.backend_pid }]);
    const good = file('after-broken.tsv', lake('after', 3));
    expect(await loadObject(pool, good, { maxRejectRatio: 0.05 })).toMatchObject({ status: 'loaded', rows: 3 });
  } finally {
    await pool.end();
  }
});

test('a transient source failure (ECONNRESET) is retried by loadLake: failed then loaded in the ledger, rows once', async () => {
  const body = lake('flaky', 300);
  let opens = 0;
  const object = streamObject('test://flaky-stream/day.tsv', body.length, () => {
    opens += 1;
    if (opens > 1) return Readable.from([Buffer.from(body)]);
    let sent = false;
    return new Readable({
      read() {
        if (sent) {
          this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
          return;
        }
        sent = true;
        this.push(Buffer.from(body.slice(0, 4000)));
      },
    });
  });
  const warnings: string[] = [];
  const summary = await loadLake(db.pool, [object], { ...silentLogger, warn: (m) => warnings.push(m) }, { retryDelayMs: 5 });
  expect(summary).toMatchObject({ loaded: 1, failed: 0, rows: 300 });
  expect(opens).toBe(2);
  expect(warnings).toEqual([expect.stringMatching(/reading failed after 4000 of \d+ bytes: read ECONNRESET; retrying in 5 ms \(attempt 2 of 4\)$/)]);
  expect((await ledger(object.uri)).map((l) => l.status)).toEqual(['failed', 'loaded']);
  expect(await rawRows(object.uri)).toBe(300);
});

test('pg_terminate_backend of the loading session mid-COPY: failed, zero rows, the attempt recorded as failed through a fresh connection', async () => {
  // (see the next test: whether the dying session's 'error' event also goes unhandled here depends on timing)
  const { pool } = poolRecordingUnhandledErrors({ connectionString: db.url, max: 2 });
  try {
    const uri = 'test://terminated/day.tsv';
    const body = lake('term', 2000);
    const half = body.lastIndexOf('\n', body.length / 2) + 1;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let opens = 0;
    const object = streamObject(uri, body.length, () => {
      opens += 1;
      if (opens > 1) return Readable.from([Buffer.from(body)]);
      // the first half, then nothing until the test has killed the session
      let step = 0;
      return new Readable({
        read() {
          step += 1;
          if (step === 1) this.push(Buffer.from(body.slice(0, half)));
          else if (step === 2) void gate.then(() => this.push(Buffer.from(body.slice(half)))).then(() => this.push(null));
        },
      });
    });
    const loading = loadObject(pool, object, { maxRejectRatio: 0.05 });
    const deadline = Date.now() + 10_000;
    let pid: number | undefined;
    while (pid === undefined && Date.now() < deadline) {
      const { rows } = await db.pool.query<{ pid: number }>(
        `select l.backend_pid as pid from raw.loads l join pg_stat_progress_copy p on p.pid = l.backend_pid
          where l.source_uri = $1 and l.status = 'loading' and p.tuples_processed > 0`,
        [uri],
      );
      pid = rows[0]?.pid;
      if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(pid).toBeDefined();
    await db.pool.query('select pg_terminate_backend($1, 5000)', [pid]);
    release();
    const result = await loading;
    expect(result).toMatchObject({ status: 'failed', rows: 0, transient: false });
    expect(result.error).toMatch(/terminat/i);
    expect(await rawRows(uri)).toBe(0);
    // the failure is recorded through a fresh connection, since the loading one is gone
    expect((await ledger(uri)).map((l) => l.status)).toEqual(['failed']);

    // the pool recovers, and the next load succeeds
    expect(await loadObject(pool, object, { maxRejectRatio: 0.05 })).toMatchObject({ status: 'loaded', rows: 2000 });
    expect((await ledger(uri)).map((l) => l.status)).toEqual(['failed', 'loaded']);
    expect(await rawRows(uri)).toBe(2000);
  } finally {
    await pool.end();
  }
});

// When the session dies while no query runs on it (here idle_in_transaction_session_timeout
// fires while the source is slow to answer, as a slow S3 GetObject would be), pg emits
// 'error' on the checked-out client: loadObject listens, so the object fails instead of
// the process dying of an uncaught exception.
test('a session killed while the loader waits for the source (idle in transaction) fails the object; no pg client error goes unhandled', async () => {
  const { pool, unhandled } = poolRecordingUnhandledErrors({
    connectionString: db.url,
    max: 2,
    options: '-c idle_in_transaction_session_timeout=200',
  });
  try {
    const uri = 'test://slow-source/day.tsv';
    const body = lake('slow', 10);
    const object: LakeObject = {
      ...streamObject(uri, body.length, () => Readable.from([Buffer.from(body)])),
      open: async () => {
        await new Promise((resolve) => setTimeout(resolve, 800));
        return Readable.from([Buffer.from(body)]);
      },
    };
    const result = await loadObject(pool, object, { maxRejectRatio: 0.05 });
    expect(result.status).toBe('failed');
    expect(await rawRows(uri)).toBe(0);
    expect(unhandled.map((err) => err.message)).toEqual([]);
  } finally {
    await pool.end();
  }
});

test('a load marks the dead attempts of any object abandoned, also of objects that never come back', async () => {
  // an attempt left 'loading' by a session that no longer exists (pid 0 is never a backend)
  await db.pool.query(
    "insert into raw.loads (source_uri, content_id, status, backend_pid) values ('file:///gone/2019-01-01.tsv', 'sha256:x', 'loading', 0)",
  );
  await loadLake(db.pool, [file('sweep.tsv', lake('sweep', 3, 0))], silentLogger, { maxRejectRatio: 0.05 });
  const { rows } = await db.pool.query("select status from raw.loads where source_uri = 'file:///gone/2019-01-01.tsv'");
  expect(rows).toEqual([{ status: 'abandoned' }]);
});
