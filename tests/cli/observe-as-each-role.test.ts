import { runInProcess } from '../helpers/run-in-process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogins, projectRoles } from '../helpers/logins';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// What the owner sees of the ledger, the freshness, the docs and the data tests, an
// analyst and a reader see too (read-only views in elt_observe), and nothing of raw rows.

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');
const logins = createLogins();
let db: TestDatabase;
let outDir: string;
const urls: Record<'owner' | 'analyst' | 'reader', string> = { owner: '', analyst: '', reader: '' };

/** `elt <args>` in this process (the spawn is not what is tested): its exit code and what it printed. */
async function elt(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runInProcess(args, { ...process.env, DATABASE_URL: databaseUrl, ELT_DEBUG: '', ELT_OUTPUT_DIR: outDir });
}

/** What depends on the moment a command runs (the clock of `now()`, ages, timings), masked; the ledger's own times are kept. */
const timeless = (text: string) =>
  text
    .replace(/(freshness at |Checked |written |"checkedAt": "|"generatedAt": ")\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, '$1<now>')
    .replace(/-?\d+[smhd]( \d+[smhd])? ago/g, '<age> ago')
    .replace(/("loadAgeMs"|"eventLagMs"): \d+/g, '$1: <ms>')
    // an age's width (9s, 10s) pads its column
    .replace(/ +/g, ' ');

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'elt-observe-roles-'));
  db = await createTestDatabase();
  const run = await elt(['run', '--source', SAMPLE], db.url);
  expect(run.code).toBe(0);
  // a failed object, with an error text, in the ledger
  await db.pool.query(
    "insert into raw.loads (source_uri, content_id, status, finished_at, error) values ('file:///lake/gone.tsv', 'x', 'failed', now(), 'line 3: not JSON')",
  );
  const roles = projectRoles(db.url);
  urls.owner = db.url;
  urls.analyst = logins.url(db.url, await logins.create('observe_analyst', [roles.analyst]));
  urls.reader = logins.url(db.url, await logins.create('observe_reader', [roles.reader]));
}, 120_000);

afterAll(async () => {
  await logins.endPools();
  await db.drop();
  await logins.dropAll();
  rmSync(outDir, { recursive: true, force: true });
});

test.each(['analyst', 'reader'] as const)(
  'elt status and elt freshness as a %s login print what the owner sees, with the same exit code',
  async (role) => {
    for (const args of [['status'], ['status', '--all'], ['status', '--json'], ['freshness'], ['freshness', '--json', '--by', 'event']]) {
      const owner = await elt(args, urls.owner);
      const other = await elt(args, urls[role]);
      expect({ args, code: other.code, stderr: timeless(other.stderr) }).toEqual({ args, code: owner.code, stderr: timeless(owner.stderr) });
      expect(other.stderr).not.toMatch(/permission denied|unexpected/);
      expect(timeless(other.stdout)).toEqual(timeless(owner.stdout));
    }
  },
);

test('the newest event of each source is the same for a reader as for the owner: read through the views, not left out', async () => {
  const owner = JSON.parse((await elt(['freshness', '--json'], urls.owner)).stdout) as { sources: { newestEventAt: string | null }[] };
  const reader = JSON.parse((await elt(['freshness', '--json'], urls.reader)).stdout) as { sources: { newestEventAt: string | null }[] };
  expect(owner.sources.map((source) => source.newestEventAt)).toContain('2019-02-15T03:07:17.971Z');
  const withoutAges = (sources: object[]) => sources.map((source) => ({ ...source, loadAgeMs: 0, eventLagMs: 0 }));
  expect(withoutAges(reader.sources)).toEqual(withoutAges(owner.sources));
});

test.each(['analyst', 'reader'] as const)('elt docs --no-tests as a %s login writes the site the owner writes', async (role) => {
  const owner = await elt(['docs', '--no-tests', '--out', join(outDir, 'docs-owner')], urls.owner);
  const other = await elt(['docs', '--no-tests', '--out', join(outDir, `docs-${role}`)], urls[role]);
  expect(other.stderr).not.toMatch(/error/);
  expect(other.code).toBe(0);
  expect(owner.code).toBe(0);
  const site = (name: string) => timeless(readFileSync(join(outDir, name, 'index.html'), 'utf8'));
  expect(site(`docs-${role}`)).toEqual(site('docs-owner'));
});

test('elt test as a reader runs the tests of the marts, names each one it skipped and why, and exits 0 when those it ran pass', async () => {
  const owner = await elt(['test'], urls.owner);
  expect(owner.code).toBe(0);
  const reader = await elt(['test'], urls.reader);
  expect(reader.code).toBe(0);
  const lines = reader.stdout.split('\n').filter((line) => /^(PASS|FAIL|SKIP) /.test(line));
  expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
  // every test the owner ran is either run or skipped, none left out silently
  expect(lines.length).toBe(owner.stdout.split('\n').filter((line) => /^PASS /.test(line)).length);
  expect(lines.filter((line) => line.startsWith('PASS')).join('\n')).toMatch(/marts\.category_ctr_daily/);
  const skipped = lines.filter((line) => line.startsWith('SKIP'));
  expect(skipped.length).toBeGreaterThan(0);
  expect(reader.stdout).toMatch(/may not read (staging|intermediate)/);
  expect(reader.stderr).toMatch(/skipped \d+ data tests? this login may not read/);
});

test('an analyst and a reader read the ledger, the refresh log and the models through elt_observe, and still nothing of raw or elt; staging and intermediate the analyst only (what its environments read)', async () => {
  for (const role of ['analyst', 'reader'] as const) {
    const pool = logins.pool(urls.owner, new URL(urls[role]).username, 1);
    const { rows } = await pool.query<{ uri: string; error: string | null }>(
      "select source_uri as uri, error from elt_observe.loads where status = 'failed'",
    );
    expect(rows).toEqual([{ uri: 'file:///lake/gone.tsv', error: 'line 3: not JSON' }]);
    await expect(pool.query('select count(*) from elt_observe.refresh_log')).resolves.toBeTruthy();
    await expect(pool.query('select count(*) from elt_observe.models')).resolves.toBeTruthy();
    for (const relation of ['raw.raw_events', 'raw.rejected_rows', 'raw.loads', 'elt.models', 'elt.folded_loads']) {
      await expect(pool.query(`select * from ${relation} limit 1`)).rejects.toThrow(/permission denied/);
    }
    for (const relation of ['staging.stg_events', 'intermediate.int_events']) {
      const read = pool.query(`select * from ${relation} limit 1`);
      if (role === 'analyst') await expect(read).resolves.toBeTruthy();
      else await expect(read).rejects.toThrow(/permission denied/);
    }
    // the ledger's view has no column for content hashes or raw text
    const { rows: columns } = await pool.query<{ name: string }>(
      "select attname as name from pg_attribute where attrelid = 'elt_observe.loads'::regclass and attnum > 0",
    );
    expect(columns.map((column) => column.name)).not.toEqual(expect.arrayContaining(['content_id']));
  }
});
