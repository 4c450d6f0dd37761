import { loginsLeft, watchQueryLogins } from '../helpers/query-logins';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { queryCommand } from '../../cli/commands/query';
import { commandHelp } from '../../cli/help';
import { main } from '../../cli/main';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startCli, waitFor } from '../s3/cli-process';

// elt query streams its rows: memory stays flat for any row count (CSV and JSON, with stdout's
// backpressure), the table stops at a cap and says so, and --timeout ends a runaway query,
// whatever the query does to escape it. Each run is ONE process (node with the tsx loader) against
// the real test server; a preload prints the process's peak RSS when it exits.

const CLI = join(__dirname, '..', '..', 'cli', 'main.ts');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

let db: TestDatabase;
let dir: string;
let preload: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  dir = mkdtempSync(join(tmpdir(), 'elt-query-stream-'));
  preload = join(dir, 'peak-rss.cjs');
  writeFileSync(preload, "process.on('exit', () => require('node:fs').writeSync(2, `peak-rss-kb ${process.resourceUsage().maxRSS}\\n`));\n");
}, 60_000);
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const env = (url = db.url): NodeJS.ProcessEnv => ({ ...process.env, DATABASE_URL: url });

const suffix = randomBytes(4).toString('hex');
const readerRole = `elt_qs_reader_${suffix}`;
const plainRole = `elt_qs_plain_${suffix}`;
/** The test database's URL, logged in as `user` (password: the name). */
const urlAs = (user: string) => {
  const url = new URL(db.url);
  url.username = user;
  url.password = user;
  return url.toString();
};
beforeAll(async () => {
  // a member of pg_read_all_data (runs the query as that role) and a plain login (runs it as itself)
  await db.pool.query(`create role ${readerRole} login password '${readerRole}' in role pg_read_all_data`);
  await db.pool.query(`create role ${plainRole} login password '${plainRole}'`);
  await db.pool.query(`grant connect on database ${new URL(db.url).pathname.slice(1)} to ${readerRole}, ${plainRole}`);
});
afterAll(async () => {
  await db.pool.query(`drop owned by ${readerRole}, ${plainRole}`).catch(() => undefined);
  await db.pool.query(`drop role if exists ${readerRole}, ${plainRole}`).catch(() => undefined);
});

interface Streamed {
  code: number | null;
  lines: number;
  bytes: number;
  head: string;
  tail: string;
  stderr: string;
  peakMb: number;
  ms: number;
}

/**
 * Runs `elt <args>` and reads its stdout without keeping it (a line count, the first and
 * last 4 kB); `script` may put a bash pipeline around the process ("$@").
 */
function stream(args: string[], script = 'exec "$@"', url?: string): Promise<Streamed> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'bash', process.execPath, '--require', preload, '--import', TSX_LOADER, CLI, ...args], {
      env: env(url),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    let bytes = 0;
    let head = '';
    let tail = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) lines += 1;
      if (head.length < 4096) head += chunk.toString('utf8', 0, Math.min(chunk.length, 4096));
      tail = (tail + chunk.toString('utf8')).slice(-4096);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = /peak-rss-kb (\d+)\n/.exec(stderr);
      resolve({
        code,
        lines,
        bytes,
        head: head.slice(0, 4096),
        tail,
        stderr: stderr.replace(/peak-rss-kb \d+\n/, ''),
        peakMb: peak ? Number(peak[1]) / 1024 : NaN,
        ms: Date.now() - started,
      });
    });
  });
}

/** The peak RSS of a one-row query: the process itself, its modules and a connection. */
let baselineMb: number;
beforeAll(async () => {
  baselineMb = (await stream(['query', '--csv', 'select 1 as n'])).peakMb;
  expect(baselineMb).toBeGreaterThan(10);
}, 60_000);

/**
 * The memory a streamed query may take on top of the process itself, whatever the row count
 * (measured: 50-70 MB, the garbage collector's slack; holding the rows took 450 MB to 1.5 GB here).
 */
const HEADROOM_MB = 150;

describe('rows are streamed: memory stays flat for any row count', () => {
  test('--csv of 2,000,000 rows: every row, peak RSS within the headroom of a one-row query', async () => {
    const rows = 2_000_000;
    const result = await stream(['query', '--csv', `select g, md5(g::text) from generate_series(1, ${rows}) g`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.lines).toBe(rows + 1);
    expect(result.head.startsWith('g,md5\n1,c4ca4238a0b923820dcc509a6f75849b\n')).toBe(true);
    expect(result.tail).toMatch(new RegExp(`\\n${rows},[0-9a-f]{32}\\n$`));
    expect(result.peakMb).toBeLessThan(baselineMb + HEADROOM_MB);
  }, 120_000);

  test('--json of 500,000 rows into a slow reader: one whole document, peak RSS within the headroom', async () => {
    const rows = 500_000;
    const result = await stream(
      ['query', '--json', `select g, repeat('x', 100) as pad from generate_series(1, ${rows}) g`],
      '"$@" | { sleep 1; cat; }; exit "${PIPESTATUS[0]}"',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.head.startsWith('[\n  {\n    "g": 1,\n    "pad": "xxx')).toBe(true);
    expect(result.tail.endsWith(`"g": ${rows},\n    "pad": "${'x'.repeat(100)}"\n  }\n]\n`)).toBe(true);
    expect(result.lines).toBe(rows * 4 + 2);
    expect(result.peakMb).toBeLessThan(baselineMb + HEADROOM_MB);
  }, 120_000);

  test('rows far wider than usual (1 MB each) are streamed in small batches too', async () => {
    const result = await stream(['query', '--csv', `select g, repeat('y', 1000000) as wide from generate_series(1, 300) g`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.lines).toBe(301);
    expect(result.bytes).toBeGreaterThan(300_000_000);
    expect(result.peakMb).toBeLessThan(baselineMb + HEADROOM_MB);
  }, 120_000);
});

describe('the table', () => {
  test('300,000 rows: no stack overflow; the first 10,000 rows and a last line that says the rest was cut', async () => {
    const result = await stream(['query', 'select g, md5(g::text) from generate_series(1, 300000) g']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.head.split('\n').slice(0, 3)).toEqual([
      'g     | md5',
      '------+---------------------------------',
      '    1 | c4ca4238a0b923820dcc509a6f75849b',
    ]);
    expect(result.tail).toMatch(
      /\n10000 \| [0-9a-f]{32}\n\(first 10000 rows; more not shown: add a limit, or use --csv or --json for every row\)\n$/,
    );
    expect(result.lines).toBe(10_003);
    expect(result.peakMb).toBeLessThan(baselineMb + HEADROOM_MB);
  }, 60_000);

  test('exactly 10,000 rows: all of them and the usual row count', async () => {
    const result = await stream(['query', 'select g from generate_series(1, 10000) g']);
    expect(result.code).toBe(0);
    expect(result.tail).toMatch(/\n10000\n\(10000 rows\)\n$/);
  }, 60_000);
});

/** The sessions (but this one) whose statement holds `tag`. */
async function activeSessions(tag: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity where query like '%' || $1 || '%' and pid <> pg_backend_pid()`,
    [tag],
  );
  return (rows[0] as { n: number }).n;
}

describe('--timeout', () => {
  const marker = () => `elt_timeout_${randomBytes(4).toString('hex')}`;
  const running = activeSessions;

  async function expectTimedOut(sql: string, tag: string, timeout = '1s', script?: string, url?: string) {
    const logins = watchQueryLogins(db.pool, tag);
    const result = await stream(['query', '--timeout', timeout, '--csv', sql], script, url);
    const used = await logins.stop();
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `elt: error: the query ran longer than ${timeout} (--timeout) and was stopped: add a limit, or a longer --timeout`,
    ]);
    expect(result.code).toBe(10);
    // the server's session is gone too, and so is the temporary login
    for (let tries = 0; tries < 40 && (await running(tag)) > 0; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await running(tag)).toBe(0);
    expect(await loginsLeft(db.pool, used)).toEqual([]);
    return result;
  }

  test('a query that sleeps past it ends with one line and exit 10, its session ended on the server', async () => {
    const tag = marker();
    const result = await expectTimedOut(`select pg_sleep(60) as ${tag}`, tag);
    expect(result.ms).toBeLessThan(10_000);
  }, 30_000);

  test('a query that turns the server-side timeout off (set_config statement_timeout 0) still ends', async () => {
    const tag = marker();
    const result = await expectTimedOut(`select set_config('statement_timeout', '0', false), pg_sleep(60) as ${tag}`, tag);
    expect(result.ms).toBeLessThan(10_000);
  }, 30_000);

  test('a do block that catches every cancel and sleeps again still ends', async () => {
    const tag = marker();
    const sql = `do $$ begin loop begin perform pg_sleep(60); exception when query_canceled then null; end; end loop; end $$ /* ${tag} */`;
    const result = await expectTimedOut(sql, tag);
    expect(result.ms).toBeLessThan(10_000);
  }, 30_000);

  test('it counts the time spent waiting for a slow reader too: an endless stream ends', async () => {
    const tag = marker();
    const result = await expectTimedOut(
      `select g as ${tag} from generate_series(1, 1000000000) g`,
      tag,
      '2s',
      '"$@" | { sleep 4; cat > /dev/null; }; exit "${PIPESTATUS[0]}"',
    );
    expect(result.ms).toBeLessThan(15_000);
  }, 30_000);

  test.each([
    ['a member of pg_read_all_data', readerRole],
    ['a plain login', plainRole],
  ])(
    '%s: its query is stopped too (by a session of its own login)',
    async (_who, role) => {
      const tag = marker();
      const sql = `do $$ begin loop begin perform pg_sleep(60); exception when query_canceled then null; end; end loop; end $$ /* ${tag} */`;
      const result = await expectTimedOut(sql, tag, '1s', undefined, urlAs(role));
      expect(result.ms).toBeLessThan(10_000);
    },
    30_000,
  );

  test('the temporary login of a superuser may log in until the timeout has passed (and a minute), not less', async () => {
    const sql = "select (select rolvaliduntil from pg_roles where rolname = session_user) - now() > interval '2 hours' as long_enough";
    const result = await stream(['query', '--timeout', '2h', '--csv', sql]);
    expect({ code: result.code, head: result.head }).toEqual({ code: 0, head: 'long_enough\ntrue\n' });
  }, 30_000);

  test('the default (5m) is in force without the flag: the server-side backstop shows it', async () => {
    const result = await stream(['query', '--csv', "select current_setting('statement_timeout') as t"]);
    expect(result.code).toBe(0);
    expect(result.head).toBe('t\n301s\n');
  }, 30_000);

  /** `elt <args>` in this process (main, as the program runs it): its exit code and what it wrote. */
  async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const written = { stdout: '', stderr: '' };
    const spies = (['stdout', 'stderr'] as const).map((name) =>
      jest.spyOn(process[name], 'write').mockImplementation((chunk: string | Uint8Array) => {
        written[name] += String(chunk);
        return true;
      }),
    );
    try {
      // a database that is not there: the flag must fail before any is opened
      const code = await main(args, { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      return { code, ...written };
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }

  test.each([['0s'], ['-1s'], ['5'], ['soon'], ['1e3s'], ['8d'], ['100000w'], ['']])(
    '--timeout=%p is a usage error in one line, before any database is opened',
    async (value) => {
      const result = await inProcess(['query', `--timeout=${value}`, 'select 1']);
      expect(result).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^elt: error: --timeout [^\n]*: must be a duration [^\n]*\n$/) });
    },
  );

  test('--timeout -1s (a value that reads as a flag) is a usage error in one line', async () => {
    const result = await inProcess(['query', '--timeout', '-1s', 'select 1']);
    expect(result).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^elt: error: --timeout -1s: must be a duration [^\n]*\n$/) });
  });

  test('the help says what --timeout does and its default', () => {
    expect(commandHelp(queryCommand).replace(/\n {10,}/g, ' ')).toMatch(/--timeout <duration> .*\[default 5m\]/);
  });
});

describe('what elt query kept', () => {
  test('Ctrl-C while rows stream: exit 130 at once, one line, the session and the temporary login gone', async () => {
    const tag = `elt_interrupt_${randomBytes(4).toString('hex')}`;
    const logins = watchQueryLogins(db.pool, tag);
    const cli = startCli(['query', '--csv', `select g as ${tag} from generate_series(1, 1000000000) g`], { env: env() });
    try {
      await waitFor('the query to start', async () => ((await activeSessions(tag)) > 0 ? true : undefined), 20_000);
      process.kill(cli.pid, 'SIGINT');
      const result = await cli.done;
      expect(result.code).toBe(130);
      expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^elt: warning: interrupted \(Ctrl-C\): stopping/)]);
      await waitFor('the session to end', async () => ((await activeSessions(tag)) === 0 ? true : undefined), 5_000);
      const used = await logins.stop();
      expect(used).toHaveLength(1);
      expect(await loginsLeft(db.pool, used)).toEqual([]);
    } finally {
      await logins.stop();
      cli.kill();
    }
  }, 60_000);

  test('a statement that is not a select still fails as before (read-only transaction)', async () => {
    const result = await stream(['query', 'create table public.streamed(i int)']);
    expect(result.stderr.trimEnd().split('\n')).toEqual(['elt: error: query failed: cannot execute CREATE TABLE in a read-only transaction']);
    expect(result.code).toBe(2);
  }, 30_000);

  test('an error after some rows were printed: the rows so far, then one line and exit 2', async () => {
    const result = await stream(['query', '--csv', 'select 1 / (100000 - g) from generate_series(1, 200000) g']);
    expect(result.stderr.trimEnd().split('\n')).toEqual(['elt: error: query failed: division by zero']);
    expect(result.code).toBe(2);
  }, 30_000);

  test('an empty statement prints no rows', async () => {
    for (const sql of [';', '/* nothing */']) {
      const result = await stream(['query', '--csv', sql]);
      expect({ sql, code: result.code, stderr: result.stderr }).toEqual({ sql, code: 0, stderr: '' });
    }
  }, 30_000);
});
