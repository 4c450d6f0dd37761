import { chmodSync, chownSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { connectPool, endPool } from '../../db/connect';
import { startEmbeddedServer, type EmbeddedServer } from '../../db/embedded-server';
import { migrate } from '../../db/migrate';
import { migrationsDir } from '../../cli/options';
import { runReadOnlyQuery, type RowOutput } from '../../db/read-only-query';
import { guardedSocket } from '../../db/embedded/guarded-socket';
import { freePort } from '../../db/free-port';
import { startImpostor, type Impostor, type PasswordRequest } from '../helpers/impostor-postgres';
import { envWithout } from '../helpers/run-cli';
import { runCliBounded } from '../s3/cli-process';

// With a port known in advance, a hostile local user can listen on it while the server
// is down (a plain TCP server, asking for the password in clear text, which node-postgres
// would send) and pose as the server. No elt client may send it the password, or hang.

const FAST = ['-c', 'fsync=off', '-c', 'synchronous_commit=off'];
const env = envWithout('DATABASE_URL', 'ELT_EMBEDDED_PORT');

function folder(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'elt-embedded-impostor-'));
  chmodSync(cwd, 0o755); // as root, the server's account must pass through the test's folder
  return cwd;
}

const portOf = (server: EmbeddedServer): number => Number(new URL(server.url).port);
const start = (cwd: string) => startEmbeddedServer(cwd, silentLogger, { postgresFlags: FAST });
const remembered = (cwd: string): string => readFileSync(join(cwd, '.elt', 'port'), 'utf8');

/**
 * A cluster whose server died without cleaning up (kill -9, power loss): stopped, its
 * postmaster.pid left behind as the dead server wrote it (status "ready").
 */
async function crashedCluster(): Promise<{ cwd: string; port: number }> {
  const cwd = folder();
  const server = await start(cwd);
  // migrated, as every elt command leaves it
  const pool = await connectPool(server.url, { waitSeconds: 5, log: silentLogger, stream: server.stream });
  await migrate(pool, { dir: migrationsDir(), log: silentLogger });
  await endPool(pool);
  const pidFile = join(cwd, '.elt', 'pgdata', 'postmaster.pid');
  const stale = readFileSync(pidFile);
  const { uid, gid } = statSync(pidFile);
  await server.stop();
  expect(stale.toString().split('\n')[7]?.trim()).toBe('ready');
  writeFileSync(pidFile, stale, { mode: 0o600 });
  chownSync(pidFile, uid, gid);
  return { cwd, port: portOf(server) };
}

describe('an impostor on the remembered port, started while the server is down', () => {
  test('elt status takes another port (one warning) and sends it nothing: no password, no hang', async () => {
    const { cwd, port } = await crashedCluster();
    const impostor = await startImpostor(port);
    try {
      const result = await runCliBounded(['status'], { env, cwd, timeoutMs: 60_000 });
      expect(impostor.afterStartup().length).toBe(0);
      expect(result.code).toBe(ExitCode.ok);
      expect(result.stderr).toMatch(new RegExp(`warn.*port ${port}.*taken`));
      expect(Number(remembered(cwd))).not.toBe(port);
    } finally {
      await impostor.close();
    }
  }, 90_000);

  test('with ELT_EMBEDDED_PORT on that port, elt status fails in one line naming it (exit 3) and sends it nothing', async () => {
    const { cwd, port } = await crashedCluster();
    const impostor = await startImpostor(port);
    try {
      const result = await runCliBounded(['status'], { env: { ...env, ELT_EMBEDDED_PORT: String(port) }, cwd, timeoutMs: 60_000 });
      expect(impostor.afterStartup().length).toBe(0);
      expect(result.code).toBe(ExitCode.database);
      const errors = result.stderr.split('\n').filter((line) => line.startsWith('elt: error'));
      expect(errors).toEqual([expect.stringMatching(new RegExp(`port ${port} \\(ELT_EMBEDDED_PORT\\) is taken`))]);
      expect(result.stdout).not.toMatch(/postgres:\/\//);
    } finally {
      await impostor.close();
    }
  }, 90_000);

  test('a connection opened after the postmaster died and an impostor took its port sends no password and fails at once', async () => {
    const cwd = folder();
    const server = await start(cwd);
    const port = portOf(server);
    const postmaster = Number(readFileSync(join(cwd, '.elt', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');
    const impostor = await waitForImpostor(port);
    try {
      const began = Date.now();
      const client = new Client({ connectionString: server.url, stream: server.stream, connectionTimeoutMillis: 5000 });
      client.on('error', () => undefined);
      await expect(client.connect()).rejects.toThrow(/not the embedded Postgres|not .*postmaster/);
      expect(Date.now() - began).toBeLessThan(4000);
      expect(impostor.afterStartup().length).toBe(0);
    } finally {
      await impostor.close();
      await server.stop();
    }
  }, 60_000);
});

test("elt query's temporary read-only login connects through the embedded server's guarded sockets too", async () => {
  const cwd = folder();
  const server = await start(cwd);
  let guarded = 0;
  const counting = () => {
    guarded += 1;
    return server.stream();
  };
  const pool = await connectPool(server.url, { waitSeconds: 5, log: silentLogger, stream: counting });
  try {
    const before = guarded;
    // the superuser's query runs on a connection of its own, as a temporary login
    const rows: unknown[][] = [];
    const collect: RowOutput = {
      columns: async () => undefined,
      rows: async (batch) => (rows.push(...batch), 0),
      wantsMore: () => true,
    };
    await runReadOnlyQuery(pool, server.url, 'select current_user as login', collect, { timeoutMs: 30_000, timeoutLabel: '30s' });
    expect(String(rows[0]?.[0])).toMatch(/^elt_query_/);
    expect(guarded).toBeGreaterThan(before);
  } finally {
    await endPool(pool);
    await server.stop();
  }
}, 60_000);

/** The impostor, once the dead postmaster's port is free. */
async function waitForImpostor(port: number): Promise<Impostor> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await startImpostor(port);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

// Without /proc (or should the check of the listening socket ever pass wrongly), the
// sockets still answer no request for the password but SCRAM's, however it is cut.
describe.each<[PasswordRequest, number]>([
  ['cleartext', 64],
  ['cleartext', 1],
  ['md5', 64],
  ['md5', 3],
])('a server that asks for the password as %s (in chunks of %d bytes)', (how, chunkBytes) => {
  test('gets nothing from a guarded socket: the connection fails at once, naming the port', async () => {
    const port = await freePort();
    const impostor = await startImpostor(port, how, chunkBytes);
    try {
      const client = new Client({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        password: 'the-secret-password',
        database: 'postgres',
        connectionTimeoutMillis: 5000,
        stream: guardedSocket(() => undefined, `port ${port}`),
      });
      client.on('error', () => undefined);
      await expect(client.connect()).rejects.toThrow(new RegExp(`port ${port} is not the embedded Postgres: .*not SCRAM`));
      expect(impostor.connections()).toBe(1);
      expect(impostor.afterStartup().length).toBe(0);
    } finally {
      await impostor.close();
    }
  });
});
