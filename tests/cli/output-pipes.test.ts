import { loginsLeft, watchQueryLogins } from '../helpers/query-logins';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { commandHelp, globalHelp } from '../../cli/help';
import { COMMANDS } from '../../cli/commands';
import { packageVersion } from '../../core/package-root';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// Whatever a command prints on stdout is all there when the process has exited, however
// slowly the reader reads (a pipe into a slow program), and a reader that leaves early
// (`| head -1`) ends the command quietly with 0. Each command runs as ONE process (node with
// the tsx loader), in bash pipelines, against the real test server.

const CLI = join(__dirname, '..', '..', 'cli', 'main.ts');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');
/** a Linux pipe holds 64 KiB: this much filler fills it before elt starts, so every write of elt must wait for the reader */
const PIPE_CAPACITY = 65_536;

interface Piped {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a bash script with `elt` as "$@"; stdout and stderr are what bash prints. */
function bash(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'bash', process.execPath, '--import', TSX_LOADER, CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** `elt <args>` writing into a pipe that is full when it starts and that a reader empties only half a second later. */
async function throughSlowPipe(args: string[], env: NodeJS.ProcessEnv): Promise<Piped> {
  const result = await bash(`( head -c ${PIPE_CAPACITY} /dev/zero; exec "$@" ) | { sleep 0.5; cat; }; exit "\${PIPESTATUS[0]}"`, args, env);
  expect(result.stdout.subarray(0, PIPE_CAPACITY).every((byte) => byte === 0)).toBe(true);
  return { code: result.code, stdout: result.stdout.subarray(PIPE_CAPACITY).toString('utf8'), stderr: result.stderr };
}

/** `elt <args>` with stdout read at once (the output a slow reader must get too). */
async function direct(args: string[], env: NodeJS.ProcessEnv): Promise<Piped> {
  const result = await bash('exec "$@"', args, env);
  return { code: result.code, stdout: result.stdout.toString('utf8'), stderr: result.stderr };
}

/** `elt <args> | <reader>`: the exit code is elt's, stdout is the reader's. */
async function into(reader: string, args: string[], env: NodeJS.ProcessEnv): Promise<Piped> {
  const result = await bash(`"$@" | ${reader}; exit "\${PIPESTATUS[0]}"`, args, env);
  return { code: result.code, stdout: result.stdout.toString('utf8'), stderr: result.stderr };
}

/** Runs `work` on each item, at most `limit` at a time (each item is a process: the machine has 2 cores). */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

let db: TestDatabase;
let outDir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  outDir = mkdtempSync(join(tmpdir(), 'elt-pipes-'));
  const result = await direct(['run', '--source', SAMPLE], env());
  expect(result.code).toBe(0);
}, 60_000);
afterAll(async () => {
  await db.drop();
  rmSync(outDir, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({ ...process.env, DATABASE_URL: db.url });

/** No stack trace, no EPIPE, no unhandled error: at most the command's own log lines. */
function expectQuiet(stderr: string) {
  expect(stderr).not.toMatch(/EPIPE|\n\s+at |Unhandled|unexpected/);
}

const ROWS = 200_000;
const BIG_CSV = ['query', '--csv', `select g, md5(g::text) from generate_series(1, ${ROWS}) g`];

describe('stdout is complete when the reader is slow', () => {
  test('--help of elt and of every command, and --version', async () => {
    const cases: [string[], string][] = [
      [['--help'], globalHelp(packageVersion())],
      [['--version'], `${packageVersion()}\n`],
      ...COMMANDS.map((command): [string[], string] => [[command.name, '--help'], commandHelp(command)]),
    ];
    await eachLimited(cases, 4, async ([args, expected]) => {
      const result = await throughSlowPipe(args, env());
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 0, stdout: expected });
      expectQuiet(result.stderr);
    });
  }, 120_000);

  test('every command that prints data or a summary prints the same as when read at once', async () => {
    const cases = [
      ['status'],
      ['status', '--json'],
      ['lineage'],
      ['lineage', '--mermaid'],
      ['freshness'],
      ['freshness', '--json'],
      ['test'],
      ['migrate'],
      ['load', '--source', SAMPLE],
      ['generate', '--out', outDir, '--days', '2', '--events-per-day', '10'],
      ['query', 'select category, date, card_views from marts.category_ctr_daily order by 1, 2'],
      ['query', '--json', 'select * from marts.category_ctr_daily order by 1, 2'],
    ];
    await eachLimited(cases, 3, async (args) => {
      const [slow, read] = [await throughSlowPipe(args, env()), await direct(args, env())];
      expect(read.stdout.length).toBeGreaterThan(0);
      // times in the summaries (and so their padding) differ from run to run
      const untimed = (text: string) =>
        text
          .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIMESTAMP')
          .replace(/ *\d+(\.\d+)? ?(ms|s)\b/g, ' T')
          .replace(/"\w*(ms|Ms|At|_at)": [^,\n]+/gi, '"time"')
          // a column's padding follows its widest time ("9s ago" or "12s ago"): every run of spaces counts as one
          .replace(/ {2,}/g, ' ');
      expect({ args, code: slow.code, stdout: untimed(slow.stdout) }).toEqual({ args, code: read.code, stdout: untimed(read.stdout) });
      expectQuiet(slow.stderr);
    });
  }, 120_000);

  test(`query --csv of ${ROWS.toLocaleString('en')} rows: every line`, async () => {
    const result = await throughSlowPipe(BIG_CSV, env());
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(ROWS + 2);
    expect([lines[0], lines[1], lines[ROWS], lines[ROWS + 1]]).toEqual(['g,md5', `1,${md5('1')}`, `${ROWS},${md5(String(ROWS))}`, '']);
    expectQuiet(result.stderr);
  }, 60_000);

  test('query --json of 50,000 rows: one whole JSON document', async () => {
    const result = await throughSlowPipe(['query', '--json', 'select g, md5(g::text) as h from generate_series(1, 50000) g'], env());
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as { g: number; h: string }[];
    expect(rows).toHaveLength(50_000);
    expect(rows[49_999]).toEqual({ g: 50_000, h: md5('50000') });
  }, 60_000);
});

describe('a reader that leaves early ends the command quietly with 0', () => {
  test(`query --csv of ${ROWS.toLocaleString('en')} rows | head -1: the header, exit 0, nothing on stderr, the temporary login dropped`, async () => {
    const logins = watchQueryLogins(db.pool, `generate_series(1, ${ROWS})`);
    const result = await into('head -1', BIG_CSV, env());
    const used = await logins.stop();
    expect(result).toEqual({ code: 0, stdout: 'g,md5\n', stderr: '' });
    expect(await loginsLeft(db.pool, used)).toEqual([]);
  }, 60_000);

  test('query --json and the table | head -1', async () => {
    for (const format of ['--json', '--csv', undefined]) {
      const args = ['query', 'select g from generate_series(1, 100000) g', ...(format ? [format] : [])];
      const result = await into('head -1', args, env());
      expect({ format, code: result.code, stderr: result.stderr, lines: result.stdout.split('\n').length }).toEqual({
        format,
        code: 0,
        stderr: '',
        lines: 2,
      });
    }
  }, 60_000);

  test('every command printing to a reader that has already gone (| true)', async () => {
    const cases = [
      ['--help'],
      ['query', '--help'],
      ['status'],
      ['lineage'],
      ['freshness', '--json'],
      ['test'],
      ['query', '--csv', 'select 1 as one'],
      ['query', '--json', 'select 1 as one'],
      ['query', 'select 1 as one'],
    ];
    await eachLimited(cases, 4, async (args) => {
      const result = await into('true', args, env());
      expect({ args, code: result.code }).toEqual({ args, code: 0 });
      expectQuiet(result.stderr);
    });
  }, 120_000);
});

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
