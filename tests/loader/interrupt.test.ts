import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from '../../core/log';
import type { LakeObject } from '../../loader/sources/lake-object';
import { contentLockName } from '../../db/lock-names';
import { loadLake } from '../../loader/load-lake';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// loadLake's AbortSignal (what Ctrl-C / SIGTERM wire to): no retry, no further
// object, the objects in flight rolled back, and loadLake rejects with the
// signal's reason, quickly. Against a real database.

const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const rows = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => `2019-02-15 03:07:03.662 +0000\ts-${tag}-${i}\ttop_news_card_viewed\tu-${tag}\t{"id":"a-${tag}-${i}"}`).join(
    '\n',
  );

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(() => db.drop());

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

function streamObject(uri: string, size: number, open: () => Readable): LakeObject {
  return { uri, size, gzip: false, format: 'tsv-lake', open: async () => open() };
}

/** A source that sends a header and some rows, then nothing, ever (a stalled network read). */
function stalledSource(uri: string, tag: string): { object: LakeObject; reading: Promise<void> } {
  const body = `${HEADER}\n${rows(tag, 500)}\n`;
  let started: () => void = () => undefined;
  const reading = new Promise<void>((resolve) => (started = resolve));
  const object = streamObject(uri, body.length * 2, () => {
    let sent = false;
    return new Readable({
      read() {
        if (sent) return; // never another byte, never the end
        sent = true;
        this.push(Buffer.from(body));
        started();
      },
    });
  });
  return { object, reading };
}

async function ledger(uri: string) {
  const { rows: found } = await db.pool.query<{ status: string; error: string | null }>(
    'select status, error from raw.loads where source_uri = $1 order by load_id',
    [uri],
  );
  return found;
}

async function rawRows(uri: string): Promise<number> {
  const { rows: found } = await db.pool.query<{ n: number }>(
    'select count(*)::int as n from raw.raw_events e join raw.loads l using (load_id) where l.source_uri = $1',
    [uri],
  );
  return found[0]?.n ?? -1;
}

/** Waits until the COPY of `uri` has received rows (so the abort lands mid-COPY). */
async function copyUnderWay(uri: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows: found } = await db.pool.query(
      `select 1 from raw.loads l join pg_stat_progress_copy p on p.pid = l.backend_pid where l.source_uri = $1 and l.status = 'loading' and p.tuples_processed > 0`,
      [uri],
    );
    if (found.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the COPY of ${uri} never started`);
}

test('an abort during a stalled source: loadLake rejects with the reason at once, no retry, no further object, no rows kept, the attempt failed', async () => {
  const uri = 'test://interrupt/stalled.tsv';
  const { object, reading } = stalledSource(uri, 'stalled');
  let nextOpened = false;
  const next = streamObject('test://interrupt/next.tsv', 10, () => {
    nextOpened = true;
    return Readable.from([Buffer.from(`${HEADER}\n`)]);
  });
  const controller = new AbortController();
  const reason = new Error('interrupted by SIGINT');
  const log = recordingLogger();
  const loading = loadLake(db.pool, [object, next], log, { concurrency: 1, retryDelayMs: 500, signal: controller.signal });
  const outcome = loading.then(
    () => 'resolved',
    (err: unknown) => err,
  );
  await reading;
  await copyUnderWay(uri);
  const abortedAt = performance.now();
  controller.abort(reason);
  expect(await outcome).toBe(reason);
  expect(performance.now() - abortedAt).toBeLessThan(2000);
  expect(log.lines.filter((line) => /retrying/.test(line))).toEqual([]);
  expect(nextOpened).toBe(false);
  expect(await ledger('test://interrupt/next.tsv')).toEqual([]);
  expect(await rawRows(uri)).toBe(0);
  expect(await ledger(uri)).toEqual([{ status: 'failed', error: 'interrupted: interrupted by SIGINT' }]);
});

test('an abort during the backoff before a retry: the sleep stops at once, no further attempt', async () => {
  const uri = 'test://interrupt/flaky.tsv';
  let opens = 0;
  const object = streamObject(uri, 1000, () => {
    opens += 1;
    return new Readable({
      read() {
        this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
      },
    });
  });
  const controller = new AbortController();
  const reason = new Error('interrupted by SIGTERM');
  let warned: () => void = () => undefined;
  const retrying = new Promise<void>((resolve) => (warned = resolve));
  const log = { ...recordingLogger(), warn: (m: string) => (/retrying in/.test(m) ? warned() : undefined) };
  const outcome = loadLake(db.pool, [object], log, { retryDelayMs: 60_000, signal: controller.signal }).then(
    () => 'resolved',
    (err: unknown) => err,
  );
  await retrying;
  const abortedAt = performance.now();
  controller.abort(reason);
  expect(await outcome).toBe(reason);
  expect(performance.now() - abortedAt).toBeLessThan(1000);
  expect(opens).toBe(1);
  expect((await ledger(uri)).map((row) => row.status)).toEqual(['failed']);
});

test('a signal aborted before the load starts: loadLake rejects with its reason and opens nothing', async () => {
  let opened = false;
  const object = streamObject('test://interrupt/never.tsv', 10, () => {
    opened = true;
    return Readable.from([Buffer.from(`${HEADER}\n`)]);
  });
  const reason = new Error('interrupted before the start');
  await expect(loadLake(db.pool, [object], recordingLogger(), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  expect(opened).toBe(false);
  expect(await ledger('test://interrupt/never.tsv')).toEqual([]);
});

test('an abort while the load waits for a lock another session holds: the session is cut, loadLake rejects at once, the attempt failed', async () => {
  const uri = 'test://interrupt/locked.tsv';
  const text = Buffer.from(`${HEADER}\n`);
  const object = streamObject(uri, text.length, () => Readable.from([text]));
  const holder = await db.pool.connect();
  try {
    // another load of the same content holds its content lock (the content id: the hash of the bytes read)
    const lock = contentLockName(`sha256:${createHash('sha256').update(text).digest('hex')}`);
    await holder.query('begin');
    await holder.query('insert into elt.locks (name) values ($1) on conflict do nothing', [lock]);
    await holder.query('select from elt.locks where name = $1 for update', [lock]);
    const controller = new AbortController();
    const reason = new Error('interrupted while waiting');
    const outcome = loadLake(db.pool, [object], recordingLogger(), { signal: controller.signal }).then(
      () => 'resolved',
      (err: unknown) => err,
    );
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { rows: waiting } = await db.pool.query(
        "select 1 from raw.loads l join pg_stat_activity a on a.pid = l.backend_pid where l.source_uri = $1 and a.wait_event_type = 'Lock'",
        [uri],
      );
      if (waiting.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const abortedAt = performance.now();
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(2000);
    expect(await ledger(uri)).toEqual([{ status: 'failed', error: 'interrupted: interrupted while waiting' }]);
  } finally {
    await holder.query('rollback');
    holder.release();
  }
});
