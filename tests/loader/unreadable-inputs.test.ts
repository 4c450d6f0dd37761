import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ExitCode } from '../../core/errors';
import type { CliResult } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// What a new (or hostile) user may put in a lake folder or pass as --source: an
// unreadable file or folder, a directory, FIFO, socket or device with a lake
// name, a dangling symlink, a device as the source. Each gets its documented exit
// code and one line; an attempted object gets a 'failed' ledger row; the good
// file beside it still loads. Through the CLI, against a migrated test database.

const CLI = join(__dirname, '..', '..', 'cli', 'main.ts');
const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const AS_ROOT = process.getuid?.() === 0;

/**
 * As root, the CLI runs as root without the capabilities that let root read and search
 * whatever the mode (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), dropped from its bounding set:
 * a mode 000 file refuses it as it would any user. Not as another account: that account
 * could not reach a checkout in a private folder (a 0700 home), so the run would fail
 * before reading the lake.
 */
const WITHOUT_DAC = ['setpriv', '--inh-caps=-all', '--bounding-set=-dac_override,-dac_read_search'];

/** Why mode 000 cannot refuse the CLI here (root, and the capabilities cannot be dropped), or undefined when it can. */
function modeCannotRefuse(): string | undefined {
  if (!AS_ROOT) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'elt-unreadable-probe-'));
  try {
    const file = join(dir, 'probe');
    writeFileSync(file, 'probe', { mode: 0o000 });
    const probe = spawnSync(WITHOUT_DAC[0] as string, [...WITHOUT_DAC.slice(1), 'cat', file], { encoding: 'utf8' });
    return /Permission denied/.test(probe.stderr)
      ? undefined
      : `root still reads a mode 000 file under ${WITHOUT_DAC.join(' ')} (${(probe.error?.message ?? probe.stderr).trim() || `exit ${probe.status}`})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const cannotRefuse = modeCannotRefuse();
if (cannotRefuse) process.stderr.write(`unreadable-inputs: the tests of unreadable files and folders are skipped: ${cannotRefuse}\n`);
const unreadableTest = cannotRefuse ? test.skip : test;

let db: TestDatabase;
let root: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  root = mkdtempSync(join(tmpdir(), 'elt-unreadable-'));
  chmodSync(root, 0o755);
});
afterAll(async () => {
  await db.drop();
  rmSync(root, { recursive: true, force: true });
});

let lakes = 0;
/** A fresh lake folder holding one good day (content unique to this folder). */
function lakeWithGoodDay(): { dir: string; good: string } {
  lakes += 1;
  const dir = join(root, `lake-${lakes}`);
  mkdirSync(dir, { mode: 0o755 });
  const good = join(dir, '2019-02-15.tsv');
  writeFileSync(good, `${HEADER}\n2019-02-15 10:00:00 +0000\ts-${lakes}\tarticle_viewed\tu-${lakes}\t{"id":"a-${lakes}"}\n`, { mode: 0o644 });
  return { dir, good };
}

/**
 * Runs `elt <args>` against the test database, killed after `ms` (a hang fails the
 * test instead of the run); when `modeBinds` and we are root, without root's power to
 * read whatever the mode (`WITHOUT_DAC`), so a chmod 000 refuses it.
 */
function elt(args: string[], options: { modeBinds?: boolean; ms?: number } = {}): Promise<CliResult & { timedOut: boolean }> {
  const command = [process.execPath, require.resolve('tsx/cli'), CLI, ...args];
  const [program, ...rest] = options.modeBinds && AS_ROOT ? [...WITHOUT_DAC, ...command] : command;
  return new Promise((resolve, reject) => {
    const child = spawn(program as string, rest, {
      cwd: root,
      env: { ...process.env, DATABASE_URL: db.url },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // the whole process group: tsx runs the CLI in a child of its own
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, options.ms ?? 30_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('elt: error'));
}

async function ledger(path: string) {
  const { rows } = await db.pool.query<{ status: string; error: string | null; row_count: string | null }>(
    'select status, error, row_count from raw.loads where source_uri = $1 order by load_id',
    [pathToFileURL(path).href],
  );
  return rows;
}

/** The bad entry failed (exit 4, one error line naming it, a 'failed' ledger row) and the good day loaded. */
async function expectFailedBesideGood(result: CliResult & { timedOut: boolean }, bad: string, good: string, reason: RegExp): Promise<void> {
  expect(result.timedOut).toBe(false);
  expect(result.code).toBe(4);
  const lines = errorLines(result.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(pathToFileURL(bad).href);
  expect(lines[0]).toMatch(reason);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toMatch(/2 files: 1 loaded, 0 skipped, 1 failed/);
  expect(await ledger(bad)).toEqual([{ status: 'failed', error: expect.stringMatching(reason), row_count: null }]);
  expect(await ledger(good)).toEqual([expect.objectContaining({ status: 'loaded', row_count: '1' })]);
}

unreadableTest(
  'an unreadable file (mode 000, loaded by a user the mode binds): exit 4, a failed ledger row with the error, shown by elt status; the good file loads',
  async () => {
    const { dir, good } = lakeWithGoodDay();
    const bad = join(dir, '2019-02-16.tsv');
    writeFileSync(bad, `${HEADER}\n`);
    chmodSync(bad, 0o000);
    const result = await elt(['load', '--source', dir], { modeBinds: true });
    await expectFailedBesideGood(result, bad, good, /permission denied/i);
    // a failed object needs attention: elt status says so with its exit code
    const status = await elt(['status', '--json']);
    expect(status.code).toBe(ExitCode.needsAttention);
    const objects = (JSON.parse(status.stdout) as { objects: { uri: string; status: string }[] }).objects;
    expect(objects).toContainEqual(expect.objectContaining({ uri: pathToFileURL(bad).href, status: 'failed' }));
  },
);

test('a directory named x.tsv: failed as not a regular file (never read), exit 4, a ledger row; the good file loads', async () => {
  const { dir, good } = lakeWithGoodDay();
  const bad = join(dir, 'x.tsv');
  mkdirSync(bad);
  await expectFailedBesideGood(await elt(['load', '--source', dir]), bad, good, /not a regular file \(a directory\)/);
});

test('a FIFO named fifo.tsv: failed at once as not a regular file (never opened, so no hang), exit 4; the good file loads', async () => {
  const { dir, good } = lakeWithGoodDay();
  const bad = join(dir, 'fifo.tsv');
  const made = await new Promise<number | null>((resolve) => spawn('mkfifo', [bad]).on('close', resolve));
  expect(made).toBe(0);
  await expectFailedBesideGood(await elt(['load', '--source', dir], { ms: 20_000 }), bad, good, /not a regular file \(a FIFO\)/);
});

test('a socket named sock.tsv and a symlink to a device named dev.tsv: each failed as not a regular file; the good file loads', async () => {
  const { dir, good } = lakeWithGoodDay();
  const sock = join(dir, 'sock.tsv');
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  try {
    const device = join(dir, 'dev.tsv');
    symlinkSync('/dev/zero', device);
    const result = await elt(['load', '--source', dir], { ms: 20_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/3 files: 1 loaded, 0 skipped, 2 failed/);
    expect(await ledger(sock)).toEqual([
      expect.objectContaining({ status: 'failed', error: expect.stringMatching(/not a regular file \(a socket\)/) }),
    ]);
    expect(await ledger(device)).toEqual([
      expect.objectContaining({ status: 'failed', error: expect.stringMatching(/not a regular file \(a character device\)/) }),
    ]);
    expect(await ledger(good)).toEqual([expect.objectContaining({ status: 'loaded' })]);
  } finally {
    server.close();
  }
});

test('a dangling *.tsv symlink: that object fails (exit 4, a ledger row), the run goes on and the good file loads', async () => {
  const { dir, good } = lakeWithGoodDay();
  const bad = join(dir, '2019-02-17.tsv');
  symlinkSync(join(dir, 'gone.tsv'), bad);
  await expectFailedBesideGood(await elt(['load', '--source', dir]), bad, good, /symbolic link to a missing file/);
});

unreadableTest(
  'an unreadable lake folder (mode 000, loaded by a user the mode binds): exit 6 (the source refused access), one line naming it',
  async () => {
    const { dir } = lakeWithGoodDay();
    chmodSync(dir, 0o000);
    try {
      const result = await elt(['load', '--source', dir], { modeBinds: true });
      expect(result.code).toBe(6);
      const lines = errorLines(result.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^elt: error: cannot read the lake folder ${dir}: permission denied`));
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      chmodSync(dir, 0o755);
    }
  },
);

test('--source /dev/null (a character device): a usage error, exit 2, one line', async () => {
  const result = await elt(['load', '--source', '/dev/null']);
  expect(result.code).toBe(2);
  const lines = errorLines(result.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^elt: error: not a lake folder or file: \/dev\/null is a character device/);
});

test('DAY.TSV and x.Tsv.GZ (lake extensions in another case) are loaded like day.tsv and x.tsv.gz', async () => {
  const { dir, good } = lakeWithGoodDay();
  const upper = join(dir, 'DAY.TSV');
  writeFileSync(upper, `${HEADER}\n2019-02-16 10:00:00 +0000\ts-upper\tarticle_viewed\tu-upper\t{"id":"a"}\n`);
  const gzipped = join(dir, 'x.Tsv.GZ');
  writeFileSync(
    gzipped,
    gzipSync(
      `${HEADER}\n2019-02-17 10:00:00 +0000\ts-gz\tarticle_viewed\tu-gz\t{"id":"a"}\n2019-02-17 10:00:01 +0000\ts-gz\tarticle_viewed\tu-gz\t{"id":"b"}\n`,
    ),
  );
  const result = await elt(['load', '--source', dir]);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/3 files: 3 loaded, 0 skipped, 0 failed; 4 rows/);
  expect(await ledger(upper)).toEqual([expect.objectContaining({ status: 'loaded', row_count: '1' })]);
  expect(await ledger(gzipped)).toEqual([expect.objectContaining({ status: 'loaded', row_count: '2' })]);
  expect(await ledger(good)).toEqual([expect.objectContaining({ status: 'loaded' })]);
});
