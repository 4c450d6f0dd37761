import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../cli/commands';
import { freePort } from '../../db/free-port';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const withDb = (): NodeJS.ProcessEnv => ({ ...process.env, DATABASE_URL: db.url });

/** One line on stderr, no stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('elt: error'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

test('a source path that does not exist: one clear line, exit 2, nothing touched', async () => {
  const result = await runCli(['run', '--source', '/no/such/lake'], { env: withDb() });
  expect(result.code).toBe(2);
  expectOneLineError(result.stderr, /^elt: error: source not found: \/no\/such\/lake/);
});

test('a directory without lake files: one clear line, exit 2', async () => {
  const result = await runCli(['load', '--source', __dirname], { env: withDb() });
  expect(result.code).toBe(2);
  expectOneLineError(result.stderr, /no \*\.tsv or \*\.tsv\.gz files in/);
});

test('no source at all: says how to give one, exit 2', async () => {
  const env = withDb();
  delete env.ELT_SOURCE;
  const result = await runCli(['run'], { env });
  expect(result.code).toBe(2);
  expectOneLineError(result.stderr, /no lake source: pass --source <dir\|file> or set ELT_SOURCE/);
});

test('an unreachable database: one clear line naming it without its password, exit 3', async () => {
  // a port that was free a moment ago: nothing listens there
  const port = await freePort();
  const env = { ...process.env, DATABASE_URL: `postgres://bob:secret@127.0.0.1:${port}/lake`, ELT_DB_WAIT_SECONDS: '1' };
  const result = await runCli(['migrate'], { env });
  expect(result.code).toBe(3);
  expectOneLineError(
    result.stderr,
    new RegExp(`cannot connect to the database at postgres://bob:\\*\\*\\*@127.0.0.1:${port}/lake after \\d+ attempts in 1s: .*ECONNREFUSED`),
  );
  expect(result.stderr).not.toContain('secret');
});

test('a malformed DATABASE_URL: one clear line, exit 2', async () => {
  const result = await runCli(['migrate'], { env: { ...process.env, DATABASE_URL: 'not a url' } });
  expect(result.code).toBe(2);
  expectOneLineError(result.stderr, /DATABASE_URL is not a valid connection URL/);
});

test('an unknown command or flag: one clear line with the likely one, pointing at --help, exit 2', async () => {
  const unknownCommand = await runCli(['lod']);
  expect(unknownCommand.code).toBe(2);
  expectOneLineError(unknownCommand.stderr, /unknown command 'lod' \(did you mean load\?\) \(see elt --help\)/);
  const unknownFlag = await runCli(['load', '--sauce', 'x']);
  expect(unknownFlag.code).toBe(2);
  expectOneLineError(unknownFlag.stderr, /unknown option '--sauce' \(did you mean --source\?\) \(see elt load --help\)/);
});

test('elt --help lists every command with a one-line description, and --version prints the version', async () => {
  const help = await runCli(['--help']);
  expect(help.code).toBe(0);
  const unwrapped = help.stdout.replace(/\n {20,}/g, ' ');
  for (const command of COMMANDS)
    expect(unwrapped).toMatch(new RegExp(`^ {2}${command.name} .* {2}${command.summary.replace(/[()[\]+.*?|]/g, '\\$&')}$`, 'm'));
  const version = await runCli(['--version']);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});

test.each(COMMANDS.map((command) => command.name))('elt %s --help shows usage and an example', async (name) => {
  const result = await runCli([name, '--help']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`^elt ${name}: `));
  expect(result.stdout).toMatch(/Usage: elt /);
  expect(result.stdout).toMatch(/Example:\n {2}npm run elt -- /);
});

test('a lake file that fails to load makes the run exit 4 naming it, after loading the others', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elt-badlake-'));
  writeFileSync(
    join(dir, '2019-02-15.tsv'),
    'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES\n2019-02-15 10:00:00 +0000\ts\tarticle_viewed\tu\t{"id":"a"}\n',
  );
  writeFileSync(join(dir, '2019-02-16.tsv.gz'), 'not gzip at all');
  const result = await runCli(['run', '--source', dir], { env: withDb() });
  expect(result.code).toBe(4);
  expect(result.stdout).toMatch(/2 files: 1 loaded, 0 skipped, 1 failed/);
  expect(result.stdout).toMatch(/FAILED file:\/\/.*2019-02-16\.tsv\.gz: incorrect header check/);
  expect(result.stderr).toMatch(/elt: error: \[2\/2\] file:\/\/.*2019-02-16\.tsv\.gz: failed: incorrect header check/);
});
