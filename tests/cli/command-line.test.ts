import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import { freePort } from '../../db/free-port';
import { packageVersion } from '../../core/package-root';

// The command line as a user (or a hostile script) types it: in process, with stdout and
// stderr captured. No case here reaches a database: each is settled by the parser, the
// declared settings or --help before one is opened (the URL below has nothing behind it).

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');
let nowhere: string;
beforeAll(async () => {
  nowhere = `postgres://elt:pw@127.0.0.1:${await freePort()}/none`;
});

async function elt(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: nowhere,
      ELT_DB_WAIT_SECONDS: '0',
      ELT_DEBUG: '',
      ELT_LOG_FORMAT: '',
      ...extraEnv,
    };
    for (const name of ['ELT_SOURCE', 'ELT_CONCURRENCY', 'ELT_ALLOW_DUPLICATES']) if (!(name in extraEnv)) delete env[name];
    const code = await main(args, env);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A usage error: exit 2, nothing on stdout, one line on stderr (no stack), matching `pattern`. */
function expectUsageLine(result: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
  expect(result.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^elt: error: /)]);
  expect(result.stderr).toMatch(pattern);
}

test('a mistyped command gets one line with the command it most likely means, exit 2', async () => {
  expectUsageLine(await elt(['lod']), /^elt: error: unknown command 'lod' \(did you mean load\?\) \(see elt --help\)\n$/);
  expectUsageLine(await elt(['refersh', '--models', 'x']), /did you mean refresh\?/);
  expectUsageLine(await elt(['zzzzzz']), /^elt: error: unknown command 'zzzzzz' \(see elt --help\)\n$/);
});

test("a mistyped flag gets one line with the command's flag it most likely means, exit 2", async () => {
  expectUsageLine(
    await elt(['load', '--sauce', 'x']),
    /^elt: error: unknown option '--sauce' \(did you mean --source\?\) \(see elt load --help\)\n$/,
  );
  expectUsageLine(await elt(['build', '--prun']), /did you mean --prune\?/);
  // a flag of another command is no flag of this one
  expectUsageLine(await elt(['freshness', '--source', SAMPLE]), /unknown option '--source'.*see elt freshness --help/);
  expectUsageLine(await elt(['load', '--concurrency']), /option '--concurrency <n>' argument missing \(see elt load --help\)/);
  expectUsageLine(await elt(['migrate', 'extra']), /too many arguments for 'migrate'/);
});

test("elt help <command> and elt <command> --help print that command's help on stdout, exit 0", async () => {
  const viaHelp = await elt(['help', 'run']);
  const viaFlag = await elt(['run', '--help']);
  const viaShort = await elt(['run', '-h']);
  expect([viaHelp.code, viaFlag.code, viaShort.code]).toEqual([0, 0, 0]);
  expect(viaHelp.stdout).toMatch(/^elt run: /);
  expect(viaHelp.stdout).toBe(viaFlag.stdout);
  expect(viaShort.stdout).toBe(viaFlag.stdout);
  expect(viaHelp.stderr + viaFlag.stderr).toBe('');
  expectUsageLine(await elt(['help', 'lod']), /unknown command 'lod' \(did you mean load\?\)/);
});

test('elt --help and elt help list the commands on stdout, exit 0; elt alone does too, exit 2; --version and -v', async () => {
  const help = await elt(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^elt \d+\.\d+\.\d+: /);
  expect((await elt(['help'])).stdout).toBe(help.stdout);
  const bare = await elt([]);
  expect([bare.code, bare.stdout]).toEqual([2, help.stdout]);
  for (const flag of ['--version', '-v']) expect(await elt([flag])).toEqual({ code: 0, stdout: `${packageVersion()}\n`, stderr: '' });
});

test('--log-format anywhere, or ELT_LOG_FORMAT; a bad one is one line, exit 2', async () => {
  const json = await elt(['load', '--log-format', 'json', '--source', '/no/such/lake']);
  expect(json.code).toBe(2);
  expect(JSON.parse(json.stderr.trim().split('\n').pop() as string)).toMatchObject({
    level: 'error',
    message: expect.stringMatching(/source not found/),
  });
  const before = await elt(['--log-format=json', 'load', '--source', '/no/such/lake']);
  expect(JSON.parse(before.stderr.trim())).toMatchObject({ level: 'error' });
  expectUsageLine(await elt(['load', '--log-format', 'xml']), /^elt: error: --log-format xml: must be human or json/);
  expectUsageLine(await elt(['migrate'], { ELT_LOG_FORMAT: 'yaml' }), /^elt: error: ELT_LOG_FORMAT=yaml: must be human or json/);
});

describe('a value no setting allows fails before anything is touched: one line naming its origin, exit 2', () => {
  test.each([
    [['load', '--source', SAMPLE, '--concurrency', '0x10'], {}, /--concurrency 0x10: must be a whole number from 1 to 64/],
    [['load', '--source', SAMPLE, '--concurrency', '1e1'], {}, /--concurrency 1e1: must be/],
    [['load', '--source', SAMPLE, '--max-reject-ratio', 'Infinity'], {}, /--max-reject-ratio Infinity: must be a number from 0 to 1/],
    [['load', '--source', SAMPLE], { ELT_CONCURRENCY: ' 2' }, /ELT_CONCURRENCY=" 2": must be a whole number/],
    [['load', '--source', SAMPLE], { ELT_ALLOW_DUPLICATES: 'yes' }, /ELT_ALLOW_DUPLICATES=yes: must be 1 or true \(on\), 0 or false \(off\)/],
    [['migrate'], { ELT_DB_WAIT_SECONDS: 'soon' }, /ELT_DB_WAIT_SECONDS=soon: must be a number of seconds from 0 to 3600/],
    [['build', '--session-gap-minutes', '1e9'], {}, /--session-gap-minutes 1e9: must be a number of minutes above 0, at most 10080/],
    [['build', '--time-zone', 'UTC\nelt: ok'], {}, /--time-zone "UTC\\nelt: ok": must be a time zone name/],
    [['query', 'select 1', '--timeout', '30d'], {}, /--timeout 30d: must be a duration .* at most 7d/],
    [['generate', '--out', join(tmpdir(), 'elt-never-written'), '--days', '99999999'], {}, /--days 99999999: must be a whole number from 1 to 3660/],
    [['stream', '--source', 'nats://127.0.0.1:1/S', '--max-events', '0'], {}, /--max-events 0: must be a whole number from 1 to 100000/],
    [['freshness', '--by', 'arrival'], {}, /--by arrival: must be load or event/],
  ])('elt %j %j', async (args, env, pattern) => {
    expectUsageLine(await elt(args as string[], env as NodeJS.ProcessEnv), pattern);
  });
});
