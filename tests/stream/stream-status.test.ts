import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startNatsServer, type NatsServer } from '../../scripts/nats-server';

// elt status shows each stream's position, lag (messages not yet loaded) and last batch.

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');
let nats: NatsServer;
let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  nats = await startNatsServer();
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'elt-stream-status-'));
});
afterAll(async () => {
  await db.drop();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface StreamStatus {
  uri: string;
  position: number;
  lag: number | null;
  batches: number;
  rows: number;
  lastBatch: { firstSeq: number; lastSeq: number };
}

test('elt status shows a stream by its position, its lag behind the broker and its last batch, and lists it apart from the lake objects', async () => {
  const env = { ...process.env, DATABASE_URL: db.url };
  const uri = nats.url('STATUS');
  expect((await runCli(['publish', '--source', SAMPLE, '--to', uri, '--create-stream'])).code).toBe(0);
  expect((await runCli(['stream', '--source', uri, '--until-idle'], { env })).code).toBe(0);

  const consumed = await runCli(['status', '--json'], { env });
  expect(consumed.code).toBe(0);
  const status = JSON.parse(consumed.stdout) as { streams: StreamStatus[]; objects: { uri: string }[] };
  expect(status.objects).toEqual([]);
  expect(status.streams).toEqual([
    expect.objectContaining({ uri, position: 30, lag: 0, rows: 30, lastBatch: expect.objectContaining({ lastSeq: 30 }) }),
  ]);

  // five more events published, not yet consumed: the lag says so
  const more = join(dir, 'more');
  cpSync(SAMPLE, more, { recursive: true });
  const file = join(more, '2019-02-15.tsv');
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  writeFileSync(join(more, '2019-02-16.tsv'), `${[header, ...rows.slice(0, 5)].join('\n')}\n`);
  rmSync(file);
  expect((await runCli(['publish', '--source', more, '--to', uri])).code).toBe(0);
  const behind = await runCli(['status'], { env });
  expect(behind.code).toBe(0);
  const table = behind.stdout.split('\n');
  const header2 = table.findIndex((line) => /^position +lag +batches +last batch +stream$/.test(line));
  expect(header2).toBeGreaterThan(0);
  expect(table[header2 + 2]).toMatch(new RegExp(`^ +30 +5 +\\d+ +\\d+\\.\\.30, \\d+ rows, \\S+ +${uri.replace(/[./]/g, '\\$&')}$`));
}, 90_000);
