import { copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Pool } from 'pg';
import { generateLake } from '../../generator/generate-lake';
import { publishLake } from '../../loader/stream/publish-lake';
import { streamLockName } from '../../db/lock-names';
import { recorder } from '../helpers/recording-log';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase } from '../helpers/test-database';
import { withBroker } from './broker-fixture';
import { batchCount, dataLines, expectExactlyTheLines, startCli, waitFor, type RunningCli } from './stream-process';

const broker = withBroker('elt-stream-crash-');
const tempDir = broker.tempDir;
const { log } = recorder();

/** How long the broker stays dead: longer than a JetStream API request's timeout (3 s), so requests time out during it. */
const OUTAGE_MS = 4500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const selectAll = async (pool: Pool, relation: string, key: string) => (await pool.query(`select * from ${relation} order by ${key}`)).rows;

/** The lines of `stderr` that report an error. */
const errorLines = (stderr: string) => stderr.split('\n').filter((line) => /error|unexpected/i.test(line));

/** Holds a stream's commit lock (its elt.locks row) in an open transaction: consumers fetch but cannot commit until released. */
class StreamLock {
  private release: (() => Promise<void>) | undefined;

  constructor(private readonly pool: Pool) {}

  async take(streamId: string): Promise<void> {
    const client = await this.pool.connect();
    client.on('error', () => undefined); // ended by the database's drop when a test fails
    await client.query('begin');
    await client.query('insert into elt.locks (name) values ($1) on conflict do nothing', [streamLockName(streamId)]);
    await client.query('select from elt.locks where name = $1 for update', [streamLockName(streamId)]);
    this.release = async () => {
      await client.query('commit');
      client.release();
    };
  }

  async free(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    await release?.();
  }
}

/** Starts `elt stream` twice and waits until both consume (a broker unreachable at start is exit 8, by design) and a batch committed. */
async function startTwoConsumers(pool: Pool, args: string[][], env: NodeJS.ProcessEnv, into: RunningCli[]): Promise<string> {
  into.push(...args.map((argv) => startCli(argv, env)));
  await waitFor(
    async () => into.every((consumer) => consumer.output().includes('consuming from sequence')) && (await batchCount(pool)) >= 1,
    'both consumers consuming',
  );
  const { rows } = await pool.query<{ stream_id: string }>('select stream_id from raw.loads where stream_id is not null limit 1');
  return (rows[0] as { stream_id: string }).stream_id;
}

const running = (consumers: RunningCli[]) => consumers.map((consumer) => (consumer.child.exitCode === null ? 'running' : consumer.output()));

test('kill -9 of the broker under two elt stream --until-idle, restarted on the same port and store, more published: both ride it out and exit 0, raw and marts equal a file load', async () => {
  const [before, after, both] = [tempDir(), tempDir(), tempDir()];
  const first = await generateLake({ outDir: before, days: 1, eventsPerDay: 3000, seed: 23, startDate: '2019-04-01' });
  const second = await generateLake({ outDir: after, days: 1, eventsPerDay: 2000, seed: 24, startDate: '2019-04-02' });
  for (const file of [...first, ...second]) copyFileSync(file.path, join(both, basename(file.path)));
  const lines = [...dataLines(first.map((file) => file.path)), ...dataLines(second.map((file) => file.path))];
  const [fileDb, streamDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  const lock = new StreamLock(streamDb.pool);
  const consumers: RunningCli[] = [];
  try {
    const fileRun = runCli(['run', '--source', both], { env: { ...process.env, DATABASE_URL: fileDb.url } });
    await publishLake(before, broker.nats.url('CRASH'), { format: 'tsv-lake', createStream: true, log });
    const args = ['stream', '--source', broker.nats.url('CRASH'), '--until-idle', '--max-events', '200', '--refresh-every-seconds', '1'];
    const streamId = await startTwoConsumers(streamDb.pool, [args, args], { ...process.env, DATABASE_URL: streamDb.url }, consumers);

    // commits wait for the lock while the broker dies; freed mid-outage, the consumers commit, acknowledge,
    // ask for the stream's last sequence and fetch again, all against a dead broker
    await lock.take(streamId);
    await broker.nats.kill();
    await sleep(300);
    await lock.free();
    await sleep(OUTAGE_MS);
    // nothing commits until the second half is published, so no consumer can find the stream drained before it
    await lock.take(streamId);
    expect(running(consumers)).toEqual(['running', 'running']);
    await broker.nats.start();
    const published = await publishLake(after, broker.nats.url('CRASH'), { format: 'tsv-lake', createStream: false, log });
    expect(published.lastSeq).toBe(lines.length);
    await lock.free();

    const ends = await Promise.all(consumers.map((consumer) => consumer.exited));
    for (const end of ends) {
      expect({ code: end.code, errors: errorLines(end.stderr) }).toEqual({ code: 0, errors: [] });
      expect(end.stdout).toMatch(new RegExp(`position ${lines.length}, lag 0`));
      expect(end.stderr).toMatch(/lost the connection to the NATS server; reconnecting/);
    }
    await expectExactlyTheLines(streamDb.pool, lines);

    expect((await fileRun).code).toBe(0);
    for (const [relation, key] of [
      ['marts.article_performance', 'article_id, date'],
      ['marts.user_performance', 'user_id, date'],
      ['marts.category_ctr_daily', 'category, date'],
    ] as const) {
      const expected = await selectAll(fileDb.pool, relation, key);
      expect(expected.length).toBeGreaterThan(0);
      expect(await selectAll(streamDb.pool, relation, key)).toEqual(expected);
    }
  } finally {
    await lock.free();
    for (const consumer of consumers) consumer.child.kill('SIGKILL');
    await Promise.all([fileDb.drop(), streamDb.drop()]);
  }
}, 90_000);

test('a broker that stays away: elt stream gives up after --broker-wait-seconds with one line and exit 8; SIGTERM during the outage exits 0 at once', async () => {
  const lake = tempDir();
  await generateLake({ outDir: lake, days: 1, eventsPerDay: 500, seed: 25 });
  const db = await createTestDatabase();
  const consumers: RunningCli[] = [];
  let killed = false;
  try {
    await publishLake(lake, broker.nats.url('AWAY'), { format: 'tsv-lake', createStream: true, log });
    const args = ['stream', '--source', broker.nats.url('AWAY'), '--max-events', '100', '--refresh-every-seconds', '600'];
    await startTwoConsumers(db.pool, [[...args, '--broker-wait-seconds', '2'], args], { ...process.env, DATABASE_URL: db.url }, consumers);
    await broker.nats.kill();
    killed = true;
    const [bounded, patient] = consumers as [RunningCli, RunningCli];
    const killedAt = performance.now();
    const gaveUp = await bounded.exited;
    expect(performance.now() - killedAt).toBeLessThan(2000 + 3000 + 10_000); // the bound, a request's timeout, slack for a loaded 2-core machine (it guards against a hang)
    expect(gaveUp.code).toBe(8);
    expect(errorLines(gaveUp.stderr)).toEqual([
      expect.stringMatching(/^elt: error: nats:\/\/127\.0\.0\.1:\d+\/AWAY: the NATS server has not answered for [\d.]+ s \(.+\); giving up/),
    ]);

    expect(running([patient])).toEqual(['running']);
    const stoppedAt = performance.now();
    patient.child.kill('SIGTERM');
    const stopped = await patient.exited;
    expect(performance.now() - stoppedAt).toBeLessThan(4000);
    expect({ code: stopped.code, errors: errorLines(stopped.stderr) }).toEqual({ code: 0, errors: [] });
    expect(stopped.stdout).toMatch(/^stream nats:\/\/.+\/AWAY: .*position \d+, lag \d+; marts refreshed/);
  } finally {
    for (const consumer of consumers) consumer.child.kill('SIGKILL');
    if (killed) await broker.nats.start();
    await db.drop();
  }
}, 60_000);
