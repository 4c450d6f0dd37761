import { join } from 'node:path';
import { connect } from 'nats';
import { generateLake } from '../../generator/generate-lake';
import { runCli, runTypeScript } from '../helpers/run-cli';
import { createTestDatabase } from '../helpers/test-database';
import { withBroker } from './broker-fixture';
import { batchCount, dataLines, expectExactlyTheLines, startCli, waitFor } from './stream-process';

const broker = withBroker('elt-stream-once-');
const tempDir = broker.tempDir;

test('SIGKILL of elt stream at random points of a 100,000-event stream, restarted each time, ends with exactly the published events and rejects', async () => {
  const lake = tempDir();
  const files = await generateLake({ outDir: lake, days: 2, eventsPerDay: 50_000, seed: 1616 });
  const lines = dataLines(files.map((file) => file.path));
  expect(lines.length).toBeGreaterThanOrEqual(100_000);
  const db = await createTestDatabase();
  const env = { ...process.env, DATABASE_URL: db.url };
  try {
    const published = await runCli(['publish', '--source', lake, '--to', broker.nats.url('KILLS'), '--create-stream']);
    expect(published.code).toBe(0);
    let seen = 0;
    for (let kill = 0; kill < 4; kill += 1) {
      const consumer = startCli(['stream', '--source', broker.nats.url('KILLS'), '--max-events', '1000', '--refresh-every-seconds', '1'], env);
      // killed a random 0-300 ms after one to three more batches committed: mid-batch, mid-ack or mid-refresh
      const target = seen + 1 + Math.floor(Math.random() * 3);
      await waitFor(async () => (await batchCount(db.pool)) >= target || consumer.child.exitCode !== null, 'batches to commit');
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
      consumer.child.kill('SIGKILL');
      const end = await consumer.exited;
      expect(end.signal).toBe('SIGKILL');
      seen = await batchCount(db.pool);
    }
    expect(seen).toBeLessThan(100); // the kills came before the stream was drained
    const last = await runCli(['stream', '--source', broker.nats.url('KILLS'), '--until-idle', '--max-events', '5000'], { env });
    expect(last.stderr).not.toMatch(/error/);
    expect(last.code).toBe(0);
    expect(last.stdout).toMatch(new RegExp(`position ${lines.length}, lag 0`));
    const [events, rejects] = await expectExactlyTheLines(db.pool, lines);
    const malformed = files.reduce((sum, file) => sum + file.malformedRows, 0);
    expect([events, rejects]).toEqual([lines.length - malformed, malformed]);
    // the batches tile the sequences 1..N: no overlap, no gap
    const { rows } = await db.pool.query<{ first: string; last: string }>(
      "select stream_first_seq as first, stream_last_seq as last from raw.loads where stream_id is not null and status = 'loaded' order by stream_first_seq",
    );
    let next = 1;
    for (const row of rows) {
      expect(Number(row.first)).toBe(next);
      next = Number(row.last) + 1;
    }
    expect(next).toBe(lines.length + 1);
  } finally {
    await db.drop();
  }
}, 120_000);

test('SIGKILL between the commit of a batch and its ack, with the next batch fetched ahead in memory, loses nothing and loads nothing twice', async () => {
  const lake = tempDir();
  const files = await generateLake({ outDir: lake, days: 1, eventsPerDay: 5000, seed: 2626 });
  const lines = dataLines(files.map((file) => file.path));
  const db = await createTestDatabase({ migrated: true });
  const env = { ...process.env, DATABASE_URL: db.url };
  try {
    expect((await runCli(['publish', '--source', lake, '--to', broker.nats.url('AHEAD'), '--create-stream'])).code).toBe(0);
    const killed = await runTypeScript(join(__dirname, 'kill-after-commit.ts'), [broker.nats.url('AHEAD'), '1000'], { env });
    expect(killed.stdout).toMatch(/^killed after committing up to 2000, holding 1000 messages fetched ahead up to 3000$/m);
    expect(killed.code).not.toBe(0);
    // the two committed batches are in the ledger, the one fetched ahead is not
    const { rows: before } = await db.pool.query<{ last: string }>(
      "select max(stream_last_seq) as last from raw.loads where stream_id is not null and status = 'loaded'",
    );
    expect(before[0]?.last).toBe('2000');

    const again = await runCli(['stream', '--source', broker.nats.url('AHEAD'), '--until-idle', '--max-events', '1000'], { env });
    expect(again.stderr).not.toMatch(/error/);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`position ${lines.length}, lag 0`));
    const [events, rejects] = await expectExactlyTheLines(db.pool, lines);
    expect(events + rejects).toBe(lines.length);
  } finally {
    await db.drop();
  }
}, 90_000);

test('a re-send with the same message ids stores nothing twice; two consumers at once load every message once; malformed messages are rejects at their sequence', async () => {
  const lake = tempDir();
  const files = await generateLake({ outDir: lake, days: 2, eventsPerDay: 1500, seed: 7 });
  const lines = dataLines(files.map((file) => file.path));
  const db = await createTestDatabase();
  const env = { ...process.env, DATABASE_URL: db.url };
  try {
    const first = await runCli(['publish', '--source', lake, '--to', broker.nats.url('TWICE'), '--create-stream']);
    expect(first.code).toBe(0);
    const again = await runCli(['publish', '--source', lake, '--to', broker.nats.url('TWICE')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`published 0 messages from 2 file(s)`);
    expect(again.stdout).toContain(
      `${lines.length.toLocaleString('en-US')} already there (same message id), dropped by the server; last sequence ${lines.length}`,
    );

    // malformed messages, published by hand after the lake
    const bad: [Buffer, string][] = [
      [Buffer.from('2019-02-15 10:00:00\tsession\tarticle_viewed\tuser\t{"id":"a"}'), 'is not a date and time with a UTC offset'],
      [Buffer.from('only\ttwo'), 'expected 5 tab-separated fields, found 2'],
      [Buffer.from([0x32, 0x30, 0xff, 0xfe]), 'line is not valid UTF-8'],
      [
        Buffer.from('2019-02-15T10:00:00.000Z\ts\tarticle_viewed\tu\t{"id":"a"}\n2019-02-15T10:00:00.000Z\ts\tarticle_viewed\tu\t{}'),
        'message holds a line break',
      ],
      [Buffer.from('2019-02-15T10:00:00.000Z\ts\tarticle_viewed\tu\t{not json'), 'ATTRIBUTES'],
    ];
    const nc = await connect({ servers: `127.0.0.1:${broker.nats.port}` });
    const js = nc.jetstream();
    for (const [body] of bad) await js.publish('TWICE.events', body);
    const good = '2019-02-16T10:00:00.000Z\tsess-extra\tarticle_viewed\tuser-extra\t{"id":"x","title":"T","category":"C"}';
    await js.publish('TWICE.events', Buffer.from(`${good}\n`)); // one trailing line break, as in a file: accepted
    await nc.drain();

    const [a, b] = await Promise.all([
      runCli(['stream', '--source', broker.nats.url('TWICE'), '--until-idle', '--max-events', '100'], { env }),
      runCli(['stream', '--source', broker.nats.url('TWICE'), '--until-idle', '--max-events', '100'], { env }),
    ]);
    expect([a.code, b.code, a.stderr + b.stderr]).toEqual([0, 0, expect.not.stringMatching(/error/)]);
    const all = [...lines, ...bad.map(([body]) => body.toString('utf8')), good];
    const { rows: rejected } = await db.pool.query<{ line_no: number; reason: string; raw_bytes: Buffer | null }>(
      'select line_no, reason, raw_bytes from raw.rejected_rows where line_no > $1 order by line_no',
      [lines.length],
    );
    expect(rejected.map((row) => row.line_no)).toEqual(bad.map((_, index) => lines.length + 1 + index));
    rejected.forEach((row, index) => expect(row.reason).toContain((bad[index] as [Buffer, string])[1]));
    expect(rejected[2]?.raw_bytes).toEqual(bad[2]?.[0]);
    const { rows: extra } = await db.pool.query<{ n: string }>(
      "select count(*) as n from raw.raw_events where event->>'MD5(USER_ID)' = 'user-extra'",
    );
    expect(extra[0]?.n).toBe('1');
    // every lake line once (by content), whichever consumer committed it
    const { rows: counted } = await db.pool.query<{ events: string; rejects: string; dup: string }>(
      'select (select count(*) from raw.raw_events) as events, (select count(*) from raw.rejected_rows) as rejects, (select count(*) - count(distinct line_no) from (select line_no from raw.raw_events union all select line_no from raw.rejected_rows) as x) as dup',
    );
    const malformed = files.reduce((sum, file) => sum + file.malformedRows, 0);
    expect(counted[0]).toEqual({ events: String(lines.length - malformed + 1), rejects: String(malformed + bad.length), dup: '0' });
    expect(all.length).toBe(lines.length + bad.length + 1);
  } finally {
    await db.drop();
  }
}, 90_000);
