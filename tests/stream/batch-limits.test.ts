import { connect } from 'nats';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase } from '../helpers/test-database';
import { withBroker } from './broker-fixture';

const broker = withBroker('elt-stream-limits-');

/** A tsv-lake message of about `bytes` bytes (a long title in ATTRIBUTES). */
const event = (seq: number, bytes: number) =>
  Buffer.from(
    `2019-02-15T10:00:00.000Z\tsession-${seq}\tarticle_viewed\tuser-${seq}\t{"id":"a${seq}","category":"C","title":"${'x'.repeat(Math.max(0, bytes - 110))}"}`,
  );

test('--max-batch-bytes bounds each batch by the bytes of its messages, and a message larger than the bound still loads (the bound is raised to the broker largest message)', async () => {
  const db = await createTestDatabase();
  const env = { ...process.env, DATABASE_URL: db.url };
  const nc = await connect({ servers: `127.0.0.1:${broker.nats.port}` });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'BYTES', subjects: ['BYTES.events'] });
    const js = nc.jetstream();
    // 60 messages of 100 KB, then one of 900 KB (above the bound, under NATS's 1 MB payload), then 20 small ones
    const sizes = [...Array.from({ length: 60 }, () => 100_000), 900_000, ...Array.from({ length: 20 }, () => 300)];
    for (const [index, size] of sizes.entries()) await js.publish('BYTES.events', event(index + 1, size));

    const bound = 512 * 1024; // below the 900 KB message
    const run = await runCli(['stream', '--source', broker.nats.url('BYTES'), '--until-idle', '--max-batch-bytes', String(bound)], { env });
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    const { rows: batches } = await db.pool.query<{ first: string; last: string; bytes: string; rows: string }>(
      "select stream_first_seq as first, stream_last_seq as last, size_bytes as bytes, row_count as rows from raw.loads where stream_id is not null and status = 'loaded' order by stream_first_seq",
    );
    // the broker's own limit is 1 MiB + what a message carries beside its body: a batch never holds more than the larger of the two
    const limit = Math.max(bound, 1024 * 1024 + 64 * 1024);
    expect(batches.filter((batch) => Number(batch.bytes) > limit)).toEqual([]);
    expect(batches.length).toBeGreaterThanOrEqual(3); // 6.9 MB in batches of at most 1.06 MiB
    expect(batches.reduce((sum, batch) => sum + Number(batch.rows), 0)).toBe(sizes.length);
    const { rows: counted } = await db.pool.query<{ n: string; distinct: string }>(
      'select count(*) as n, count(distinct line_no) as distinct from raw.raw_events',
    );
    expect(counted[0]).toEqual({ n: String(sizes.length), distinct: String(sizes.length) });
  } finally {
    await nc.drain();
    await db.drop();
  }
}, 60_000);

test('--max-batch-bytes and --max-events outside their range are refused with exit 2 before anything is touched (no value makes a batch unbounded)', async () => {
  for (const [flag, value] of [
    ['--max-batch-bytes', '67108865'],
    ['--max-batch-bytes', '1000'],
    ['--max-batch-bytes', '1e9'],
    ['--max-events', '100001'],
    ['--max-events', '0'],
  ] as const) {
    const result = await runCli(['stream', '--source', 'nats://127.0.0.1:1/NONE', flag, value]);
    expect([flag, value, result.code]).toEqual([flag, value, 2]);
    expect(result.stderr).toContain(flag);
  }
}, 60_000);
