import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EltError, ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { startEmbeddedServer, type EmbeddedServer } from '../../db/embedded-server';
import { embeddedPortSetting } from '../../db/embedded/stable-port';
import { freePort } from '../../db/free-port';
import { recorder } from '../helpers/recording-log';
import { envWithout } from '../helpers/run-cli';
import { runCliBounded } from '../s3/cli-process';

// A BI tool (DBeaver, Metabase) keeps host, port and password: the embedded server keeps
// its port from one start to the next (or the one ELT_EMBEDDED_PORT sets). A port known
// in advance is one a hostile local user can take while the server is down, to pose as
// it: no elt client may then send the password anywhere but to our own postmaster.

const FAST = ['-c', 'fsync=off', '-c', 'synchronous_commit=off'];
const env = envWithout('DATABASE_URL', 'ELT_EMBEDDED_PORT');

function folder(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'elt-embedded-port-'));
  chmodSync(cwd, 0o755); // as root, the server's account must pass through the test's folder
  return cwd;
}

const portOf = (server: EmbeddedServer): number => Number(new URL(server.url).port);
const start = (cwd: string, port?: number, log = silentLogger) => startEmbeddedServer(cwd, log, { postgresFlags: FAST, port });
const remembered = (cwd: string): string => readFileSync(join(cwd, '.elt', 'port'), 'utf8');

/** Something else listening on 127.0.0.1:`port`, as another program that took it while the server was down. */
function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

async function select1(url: string, server: EmbeddedServer): Promise<unknown> {
  const client = new Client({ connectionString: url, stream: server.stream });
  await client.connect();
  try {
    return (await client.query('select 1 as one')).rows;
  } finally {
    await client.end();
  }
}

test('the embedded server keeps its port from one start to the next, remembered in .elt/port (mode 0600)', async () => {
  const cwd = folder();
  const first = await start(cwd);
  await first.stop();
  const second = await start(cwd);
  try {
    expect(portOf(second)).toBe(portOf(first));
    expect(remembered(cwd)).toBe(`${portOf(first)}\n`);
    expect(statSync(join(cwd, '.elt', 'port')).mode & 0o077).toBe(0);
    expect(await select1(second.url, second)).toEqual([{ one: 1 }]);
  } finally {
    await second.stop();
  }
}, 60_000);

test('ELT_EMBEDDED_PORT is honoured and remembered: the next start without it keeps that port', async () => {
  const cwd = folder();
  const wanted = await freePort();
  const first = await start(cwd, wanted);
  expect(portOf(first)).toBe(wanted);
  await first.stop();
  const second = await start(cwd);
  try {
    expect(portOf(second)).toBe(wanted);
  } finally {
    await second.stop();
  }
}, 60_000);

test('a remembered port another program took: one warning line, a free port is taken and remembered', async () => {
  const cwd = folder();
  const first = await start(cwd);
  const port = portOf(first);
  await first.stop();
  const squatter = await occupy(port);
  const { log, lines } = recorder();
  try {
    const second = await start(cwd, undefined, log);
    await second.stop();
    expect(portOf(second)).not.toBe(port);
    expect(remembered(cwd)).toBe(`${portOf(second)}\n`);
    const warnings = lines.filter((line) => line.startsWith('warn '));
    expect(warnings).toEqual([expect.stringContaining(`port ${port}`)]);
    expect(warnings[0]).toContain(`port ${portOf(second)}`);
    expect(warnings[0]).not.toContain('\n');
  } finally {
    await close(squatter);
  }
}, 60_000);

test('ELT_EMBEDDED_PORT taken by another program: refused in one line naming the port, exit code 3, the setting kept', async () => {
  const cwd = folder();
  const port = await freePort();
  const squatter = await occupy(port);
  try {
    const error = await start(cwd, port).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(EltError);
    const { exitCode, message } = error as EltError;
    expect([exitCode, message.includes('\n')]).toEqual([ExitCode.database, false]);
    expect(message).toMatch(new RegExp(`port ${port} .*ELT_EMBEDDED_PORT`));
    expect(existsSync(join(cwd, '.elt', 'pgdata', 'postmaster.pid'))).toBe(false);
  } finally {
    await close(squatter);
  }
}, 60_000);

test.each([
  ['0', '0'],
  ['80', '80'],
  ['1023', '1023'],
  ['65536', '65536'],
  ['20 digits', '99999999999999999999'],
  ['5432x', '5432x'],
  ['hexadecimal', '0x1538'],
  ['exponent', '1e4'],
  ['negative', '-5432'],
  ['leading space', ' 5432'],
  ['decimal', '5432.0'],
  ['Arabic-Indic digits', '٥٤٣٢'],
  ['100 000 characters', 'x'.repeat(100_000)],
  ['a forged second line', '5432\nelt: error: forged line'],
])('ELT_EMBEDDED_PORT %s is refused in one short line with exit code 2', (_label, value) => {
  let error: unknown;
  try {
    embeddedPortSetting(value);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(EltError);
  const { exitCode, message } = error as EltError;
  expect([exitCode, message.includes('\n')]).toEqual([ExitCode.usage, false]);
  expect(message).toMatch(/^ELT_EMBEDDED_PORT=.*: must be a whole number from 1024 to 65535/);
  expect(message.length).toBeLessThan(200);
});

test('ELT_EMBEDDED_PORT: 1024, 65535 and 5433 are taken; empty or unset means none', () => {
  expect([embeddedPortSetting('1024'), embeddedPortSetting('65535'), embeddedPortSetting('5433')]).toEqual([1024, 65535, 5433]);
  expect([embeddedPortSetting(''), embeddedPortSetting(undefined)]).toEqual([undefined, undefined]);
});

test('elt status with a bad ELT_EMBEDDED_PORT: one error line, exit code 2, nothing started', async () => {
  const cwd = folder();
  const result = await runCliBounded(['status'], { env: { ...env, ELT_EMBEDDED_PORT: '80' }, cwd });
  expect(result.code).toBe(ExitCode.usage);
  expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^elt: error: ELT_EMBEDDED_PORT=80: /)]);
  expect(existsSync(join(cwd, '.elt', 'pgdata'))).toBe(false);
}, 30_000);
