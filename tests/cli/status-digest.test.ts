import { runInProcess } from '../helpers/run-in-process';
import { join } from 'node:path';
import { ExitCode } from '../../core/errors';
import { createLogins, projectRoles } from '../helpers/logins';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// elt status for a monitor: a digest by default, every object with --all, exit 13 when
// something needs attention (a failed or unfinished object, a missing or stale mart), and
// a failed object whose file is gone acknowledged with --ack <uri> (recorded in the ledger).
// The tests run in order on one database, each changing one thing.

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');
const logins = createLogins();
let db: TestDatabase;

async function elt(args: string[], databaseUrl = db.url): Promise<{ code: number; stdout: string; stderr: string }> {
  return runInProcess(args, { ...process.env, DATABASE_URL: databaseUrl, ELT_DEBUG: '' });
}

const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('elt: error'));

/** A failed attempt of `uri` in the ledger, as the loader records one. */
async function failedLoad(uri: string, error: string): Promise<void> {
  await db.pool.query("insert into raw.loads (source_uri, content_id, status, finished_at, error) values ($1, 'x', 'failed', now(), $2)", [
    uri,
    error,
  ]);
}

beforeAll(async () => {
  db = await createTestDatabase();
  expect((await elt(['run', '--source', SAMPLE])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await logins.endPools();
  await db.drop();
  await logins.dropAll();
});

test('on a fresh database where nothing ran yet, no mart is built and none needs attention: exit 0, the marts listed by --all as missing', async () => {
  const fresh = await createTestDatabase({ migrated: true });
  try {
    const digest = await elt(['status'], fresh.url);
    expect(digest.code).toBe(ExitCode.ok);
    expect(digest.stdout).toMatch(/^nothing needs attention$/m);
    expect((await elt(['status', '--all'], fresh.url)).stdout).toMatch(/^marts\.category_ctr_daily .*MISSING/m);
  } finally {
    await fresh.drop();
  }
});

test('after a clean run elt status exits 0 with a digest (counts, last load and refresh, nothing to attend to), --all lists every object', async () => {
  const digest = await elt(['status']);
  expect(digest.code).toBe(ExitCode.ok);
  expect(digest.stdout).toMatch(/^lake objects: 1 \(1 loaded, 0 failed, 0 unfinished\)/);
  expect(digest.stdout).toMatch(/last load \d{4}-.*; last refresh \d{4}-/);
  expect(digest.stdout).toMatch(/^nothing needs attention$/m);
  expect(digest.stdout).not.toMatch(/2019-02-15\.tsv/);
  const all = await elt(['status', '--all']);
  expect(all.code).toBe(ExitCode.ok);
  expect(all.stdout).toMatch(/^loaded .*lake-sample\/2019-02-15\.tsv$/m);
});

test('a failed object: exit 13, the digest names it and its error, the JSON lists why', async () => {
  await failedLoad('file:///lake/gone/2019-02-16.tsv', 'line 3: not JSON');
  const digest = await elt(['status']);
  expect(digest.code).toBe(ExitCode.needsAttention);
  expect(digest.stdout).toMatch(/^needs attention: 1 failed object$/m);
  expect(digest.stdout).toMatch(/failed +- +- +\S+ +file:\/\/\/lake\/gone\/2019-02-16\.tsv\n +line 3: not JSON/);
  expect(errorLines(digest.stderr)).toEqual(['elt: error: needs attention: 1 failed object (elt status shows each)']);
  const json = await elt(['status', '--json']);
  expect(json.code).toBe(ExitCode.needsAttention);
  expect((JSON.parse(json.stdout) as { attention: string[] }).attention).toEqual(['1 failed object']);
});

test('--ack of anything but the failed object (a prefix, a pattern, an unknown or loaded URI) acknowledges nothing: exit 2, one line', async () => {
  const { rows: loaded } = await db.pool.query<{ uri: string }>("select source_uri as uri from raw.loads where status = 'loaded'");
  for (const uri of [
    'file:///lake/gone/',
    'file:///lake/gone/%',
    'file:///lake/gone/2019-02-16.tsv ',
    'nope',
    '',
    (loaded[0] as { uri: string }).uri,
  ]) {
    const result = await elt(['status', '--ack', uri]);
    expect({ uri, code: result.code }).toEqual({ uri, code: ExitCode.usage });
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(/^elt: error: --ack .*: not a failed object of the ledger/)]);
  }
  const { rows } = await db.pool.query('select load_id from raw.loads where acknowledged_at is not null');
  expect(rows).toEqual([]);
});

test('a reader may not acknowledge: exit 3, one line, the ledger unchanged', async () => {
  const reader = await logins.create('status_reader', [projectRoles(db.url).reader]);
  const result = await elt(['status', '--ack', 'file:///lake/gone/2019-02-16.tsv'], logins.url(db.url, reader));
  expect(result.code).toBe(ExitCode.database);
  expect(errorLines(result.stderr)).toEqual([
    expect.stringMatching(/^elt: error: --ack: this login may not write the ledger \(the owner or a loader may\): /),
  ]);
  const { rows } = await db.pool.query('select load_id from raw.loads where acknowledged_at is not null');
  expect(rows).toEqual([]);
});

test('--ack <uri> records the acknowledgement in the ledger (when, by whom); the object stays listed, no longer needing attention', async () => {
  const acked = await elt(['status', '--ack', 'file:///lake/gone/2019-02-16.tsv']);
  expect(acked.stderr).toMatch(/acknowledged the failure of file:\/\/\/lake\/gone\/2019-02-16\.tsv/);
  expect(acked.code).toBe(ExitCode.ok);
  const { rows } = await db.pool.query<{ status: string; by: string; at: Date }>(
    "select status, acknowledged_by as by, acknowledged_at as at from raw.loads where source_uri = 'file:///lake/gone/2019-02-16.tsv'",
  );
  expect(rows).toEqual([{ status: 'failed', by: new URL(db.url).username, at: expect.any(Date) }]);
  const all = await elt(['status', '--all']);
  expect(all.code).toBe(ExitCode.ok);
  expect(all.stdout).toMatch(/1 acknowledged/);
  expect(all.stdout).toMatch(/^acked .*file:\/\/\/lake\/gone\/2019-02-16\.tsv$/m);
  // a second ack of the same object: it is no longer a failure to acknowledge
  expect((await elt(['status', '--ack', 'file:///lake/gone/2019-02-16.tsv'])).code).toBe(ExitCode.usage);
});

test('an unfinished object (abandoned): exit 13, named', async () => {
  await db.pool.query("insert into raw.loads (source_uri, content_id, status) values ('file:///lake/half.tsv', 'y', 'abandoned')");
  const digest = await elt(['status']);
  expect(digest.code).toBe(ExitCode.needsAttention);
  expect(digest.stdout).toMatch(/^needs attention: 1 unfinished object$/m);
  expect(digest.stdout).toMatch(/^abandoned .*file:\/\/\/lake\/half\.tsv$/m);
  await db.pool.query("delete from raw.loads where source_uri = 'file:///lake/half.tsv'");
});

test('a stale mart (raw data loaded after its refresh) and a missing one (dropped): exit 13, each named', async () => {
  await db.pool.query(
    "insert into raw.loads (source_uri, content_id, status, row_count, reject_count, finished_at) values ('file:///lake/new.tsv', 'z', 'loaded', 0, 0, now())",
  );
  let digest = await elt(['status']);
  expect(digest.code).toBe(ExitCode.needsAttention);
  expect(digest.stdout).toMatch(/^needs attention: 3 stale marts$/m);
  expect(digest.stdout).toMatch(/^marts\.category_ctr_daily .*STALE/m);
  await db.pool.query('drop table marts.category_ctr_daily');
  digest = await elt(['status']);
  expect(digest.code).toBe(ExitCode.needsAttention);
  expect(digest.stdout).toMatch(/^needs attention: 1 missing mart, 2 stale marts$/m);
  expect(digest.stdout).toMatch(/^marts\.category_ctr_daily .*MISSING/m);
});
