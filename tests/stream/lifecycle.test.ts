import { freePort } from '../../db/free-port';
import { generateLake } from '../../generator/generate-lake';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase } from '../helpers/test-database';
import { withBroker } from './broker-fixture';
import { batchCount, dataLines, expectExactlyTheLines, startCli, waitFor } from './stream-process';

const broker = withBroker('elt-stream-life-');
const tempDir = broker.tempDir;

test('elt stream: an unreachable broker or a missing stream is one line and exit 8, a malformed URI exit 2, an empty stream with --until-idle exit 0', async () => {
  const db = await createTestDatabase();
  const env = { ...process.env, DATABASE_URL: db.url };
  try {
    const nowhere = await runCli(['stream', '--source', `nats://127.0.0.1:${await freePort()}/CLICKS`, '--until-idle'], { env });
    expect(nowhere.code).toBe(8);
    expect(nowhere.stderr).toMatch(/^elt: error: cannot reach the NATS server 127\.0\.0\.1:\d+ \(nats:\/\/127\.0\.0\.1:\d+\/CLICKS\): /m);
    expect(nowhere.stderr.split('\n').filter((line) => line.includes('error'))).toHaveLength(1);

    const missing = await runCli(['stream', '--source', broker.nats.url('NO_SUCH'), '--until-idle'], { env });
    expect(missing.code).toBe(8);
    expect(missing.stderr).toContain(`elt: error: ${broker.nats.url('NO_SUCH')}: the stream NO_SUCH does not exist on 127.0.0.1:${broker.nats.port}`);

    const malformed = await runCli(['stream', '--source', 'nats://127.0.0.1:4222/', '--until-idle'], { env });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('names no stream');

    const publishMissing = await runCli(['publish', '--source', 'tests/fixtures/lake-sample', '--to', broker.nats.url('NOT_CREATED')]);
    expect(publishMissing.code).toBe(8);
    expect(publishMissing.stderr).toContain('pass --create-stream to create it');

    const empty = tempDir();
    const lake = await generateLake({ outDir: empty, days: 1, eventsPerDay: 10, seed: 1 });
    expect(lake).toHaveLength(1);
    expect((await runCli(['publish', '--source', empty, '--to', broker.nats.url('EMPTY_THEN'), '--create-stream'])).code).toBe(0);
    const idle = await runCli(['stream', '--source', broker.nats.url('EMPTY_THEN'), '--until-idle'], { env });
    expect(idle.code).toBe(0);
    const again = await runCli(['stream', '--source', broker.nats.url('EMPTY_THEN'), '--until-idle'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 batches, 0 events loaded');
  } finally {
    await db.drop();
  }
}, 60_000);

test('SIGTERM mid-stream commits the batch in hand, refreshes the marts and exits 0; the next run goes on from there', async () => {
  const lake = tempDir();
  const files = await generateLake({ outDir: lake, days: 2, eventsPerDay: 10_000, seed: 3 });
  const lines = dataLines(files.map((file) => file.path));
  const db = await createTestDatabase();
  const env = { ...process.env, DATABASE_URL: db.url };
  try {
    expect((await runCli(['publish', '--source', lake, '--to', broker.nats.url('TERM'), '--create-stream'])).code).toBe(0);
    const consumer = startCli(['stream', '--source', broker.nats.url('TERM'), '--max-events', '500', '--refresh-every-seconds', '600'], env);
    await waitFor(async () => (await batchCount(db.pool)) >= 2, 'two batches');
    consumer.child.kill('SIGTERM');
    const end = await consumer.exited;
    expect(end.stderr).toContain('stopping: committing the batch in hand and refreshing the marts');
    expect(end.code).toBe(0);
    expect(end.stdout).toMatch(/marts refreshed 1 time\(s\)/);
    const { rows } = await db.pool.query<{ position: string; loaded: string; refreshed: boolean }>(
      `select max(stream_last_seq) as position,
              (select count(*) from raw.raw_events) + (select count(*) from raw.rejected_rows) as loaded,
              (select max(refreshed_at) from elt.refresh_log where model = 'marts.article_performance') > max(finished_at) as refreshed
         from raw.loads where stream_id is not null`,
    );
    const position = Number(rows[0]?.position);
    expect(position).toBeLessThan(lines.length); // stopped mid-stream
    expect(Number(rows[0]?.loaded)).toBe(position); // every message up to the position, nothing after it
    expect(rows[0]?.refreshed).toBe(true);
    const rest = await runCli(['stream', '--source', broker.nats.url('TERM'), '--until-idle'], { env });
    expect(rest.code).toBe(0);
    await expectExactlyTheLines(db.pool, lines);
  } finally {
    await db.drop();
  }
}, 60_000);

test('a broker restart mid-stream: elt stream reconnects and goes on, every message loaded once', async () => {
  const [before, after] = [tempDir(), tempDir()];
  const first = await generateLake({ outDir: before, days: 1, eventsPerDay: 3000, seed: 4, startDate: '2019-03-01' });
  const second = await generateLake({ outDir: after, days: 1, eventsPerDay: 3000, seed: 5, startDate: '2019-03-02' });
  const lines = [...dataLines(first.map((file) => file.path)), ...dataLines(second.map((file) => file.path))];
  const db = await createTestDatabase();
  const env = { ...process.env, DATABASE_URL: db.url };
  try {
    expect((await runCli(['publish', '--source', before, '--to', broker.nats.url('RESTART'), '--create-stream'])).code).toBe(0);
    const consumer = startCli(['stream', '--source', broker.nats.url('RESTART'), '--max-events', '500', '--refresh-every-seconds', '1'], env);
    await waitFor(async () => (await batchCount(db.pool)) >= 1, 'a first batch');
    await broker.nats.restart();
    expect((await runCli(['publish', '--source', after, '--to', broker.nats.url('RESTART')])).code).toBe(0);
    await waitFor(
      async () => {
        const { rows } = await db.pool.query<{ n: string }>('select max(stream_last_seq) as n from raw.loads');
        return Number(rows[0]?.n) >= lines.length;
      },
      'every message after the restart',
      40_000,
    );
    consumer.child.kill('SIGTERM');
    const end = await consumer.exited;
    expect(end.code).toBe(0);
    expect(end.stderr).toMatch(/lost the connection to the NATS server; reconnecting|reconnected|reading again after sequence/);
    await expectExactlyTheLines(db.pool, lines);
  } finally {
    await db.drop();
  }
}, 90_000);
