import { silentLogger } from '../../core/log';
import { ExitCode } from '../../core/errors';
import { buildModels } from '../../transform/build-models';
import { insertRawEvents } from '../helpers/raw-events';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

// elt freshness on a test database: sources are lake folders (the objects' URI without
// the file name) and streams (their URI); each load's finished_at is set in the past.
let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterEach(() => db.drop());

const event = (ts: string) => ({ ts, session: 's', event: 'article_viewed', user: 'u', attributes: { id: 'a' } });

/** Loads one file's worth of events under `folder` and builds the models, so int_events holds them. */
async function loadUnder(folder: string, timestamps: string[]): Promise<void> {
  await insertRawEvents(db.pool, timestamps.map(event), folder);
}

/** Sets the finish time of every successful load of a folder to `age` before now. */
async function loadedAgo(folder: string, age: string): Promise<void> {
  await db.pool.query(`update raw.loads set finished_at = now() - $2::interval where source_uri like $1 || '/%'`, [folder, age]);
}

const freshness = (...args: string[]) => runCli(['freshness', ...args], { env: { ...process.env, DATABASE_URL: db.url } });

test('fresh sources exit 0; one past --warn-after exits 0 with a warning naming it; past --error-after exits 9 (stale)', async () => {
  await loadUnder('file:///lake/a', ['2019-02-15 10:00:00 +0000', '2019-02-16 08:30:00 +0000']);
  await loadUnder('file:///lake/b', ['2019-02-14 10:00:00 +0000']);
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  await loadedAgo('file:///lake/a', '1 hour');
  await loadedAgo('file:///lake/b', '2 hours');

  let result = await freshness();
  expect([result.code, result.stderr]).toEqual([ExitCode.ok, '']);
  expect(result.stdout).toMatch(/^PASS\s+1h 0m ago\s+\S.* ago\s+1\s+file:\/\/\/lake\/a\/$/m);
  expect(result.stdout).toContain('2 fresh, 0 warn, 0 error');

  await loadedAgo('file:///lake/b', '30 hours');
  result = await freshness();
  expect(result.code).toBe(ExitCode.ok);
  expect(result.stdout).toMatch(/^WARN\s+1d 6h ago.*file:\/\/\/lake\/b\/$/m);
  expect(result.stderr).toContain('elt: warning: last load older than 26h (a warning: exit 0): file:///lake/b/ (1d 6h ago)');

  await loadedAgo('file:///lake/b', '3 days');
  result = await freshness();
  expect(result.code).toBe(ExitCode.stale);
  expect(result.stdout).toMatch(/^ERROR\s+3d 0h ago.*file:\/\/\/lake\/b\/$/m);
  expect(result.stderr).toContain('elt: error: stale: last load older than 50h: file:///lake/b/ (3d 0h ago)');

  // the thresholds from the flags: 4 days is fine again
  result = await freshness('--warn-after', '2d', '--error-after', '4d');
  expect(result.code).toBe(ExitCode.ok);
  expect(result.stdout).toMatch(/^WARN\s+3d 0h ago.*lake\/b\/$/m);
}, 60_000);

test('--json gives each source its last load, newest event (from int_events) and both ages; --by event judges the events', async () => {
  await loadUnder('file:///lake/a', ['2019-02-15 10:00:00 +0000', '2019-02-16 08:30:00 +0000']);
  await loadUnder('file:///lake/a', ['2019-02-17 23:59:59 +0000']);
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  await loadedAgo('file:///lake/a', '5 minutes');
  // a failed attempt after the last success is counted
  await db.pool.query(
    "insert into raw.loads (source_uri, content_id, status, error) values ('file:///lake/a/broken.tsv', 'x', 'failed', 'not a lake file')",
  );

  const result = await freshness('--json');
  expect(result.code).toBe(ExitCode.ok);
  const report = JSON.parse(result.stdout);
  expect(report).toMatchObject({
    state: 'fresh',
    thresholds: { warnAfter: '26h', errorAfter: '50h', by: 'load' },
    eventTime: { relation: 'intermediate.int_events', column: 'event_at' },
    sources: [
      { source: 'file:///lake/a/', kind: 'lake', loads: 2, rows: 3, failuresSince: 1, newestEventAt: '2019-02-17T23:59:59.000Z', state: 'fresh' },
    ],
  });
  const [source] = report.sources;
  expect(Date.parse(report.checkedAt) - Date.parse(source.lastLoadAt)).toBe(source.loadAgeMs);
  expect(source.loadAgeMs).toBeGreaterThanOrEqual(5 * 60_000);
  expect(source.loadAgeMs).toBeLessThan(10 * 60_000);
  expect(Date.parse(report.checkedAt) - Date.parse('2019-02-17T23:59:59.000Z')).toBe(source.eventLagMs);

  const byEvent = await freshness('--by', 'event');
  expect(byEvent.code).toBe(ExitCode.stale);
  expect(byEvent.stderr).toContain('elt: error: stale: newest event older than 50h: file:///lake/a/');
}, 60_000);

test('a stream is one source under its own URI, however many batches it committed', async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  await db.pool.query(
    `insert into raw.loads (source_uri, content_id, status, row_count, reject_count, finished_at, stream_id, stream_first_seq, stream_last_seq)
     values ('nats://127.0.0.1:4222/CLICKS', 'b1', 'loaded', 10, 0, now() - interval '3 hours', 'id', 1, 10),
            ('nats://127.0.0.1:4222/CLICKS', 'b2', 'loaded', 5, 0, now() - interval '20 minutes', 'id', 11, 15)`,
  );
  const result = await freshness('--json');
  expect(result.code).toBe(ExitCode.ok);
  expect(JSON.parse(result.stdout).sources).toMatchObject([
    { source: 'nats://127.0.0.1:4222/CLICKS', kind: 'stream', loads: 2, rows: 15, newestEventAt: null },
  ]);
}, 60_000);

test('nothing ever loaded, or a source whose every attempt failed, is stale (exit 9); a bad duration is a usage error (exit 2)', async () => {
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  let result = await freshness();
  expect(result.code).toBe(ExitCode.stale);
  expect(result.stdout).toContain('no source has been loaded yet');
  expect(result.stderr).toContain('elt: error: no source has been loaded yet');

  await db.pool.query(
    "insert into raw.loads (source_uri, content_id, status, error, finished_at) values ('s3://bucket/clicks/x.tsv', 'x', 'failed', 'boom', now())",
  );
  result = await freshness();
  expect(result.code).toBe(ExitCode.stale);
  expect(result.stdout).toMatch(/^ERROR\s+never\s+never\s+0\s+s3:\/\/bucket\/clicks\/\n\s+1 failed attempt/m);

  result = await freshness('--warn-after', '26');
  expect(result.code).toBe(ExitCode.usage);
  expect(result.stderr).toContain('elt: error: --warn-after 26: must be a duration');
}, 60_000);
