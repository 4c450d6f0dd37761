import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, extname, join } from 'node:path';
import { describeError, EltError, ExitCode } from '../core/errors';
import type { Logger } from '../core/log';
import { openLogForAppend, writeFileAtomic } from '../core/safe-write';
import { checkTrustedDir, ensureTrustedDir, readTrustedFile } from '../core/trusted-path';
import { withFileLock } from './embedded/file-lock';
import { guardedSocket } from './embedded/guarded-socket';
import { embeddedLayout, type EmbeddedLayout } from './embedded/layout';
import { dropLease, liveLeases, takeLease } from './embedded/leases';
import { checkPostmasterPort } from './embedded/listening-socket';
import { isProcessAlive } from './embedded/process-alive';
import { keeperPidIn, readServerState, type KeeperOptions } from './embedded/server-state';
import { serverUser } from './embedded/server-user';
import { checkStateDir } from './embedded/state-trust';

/** A Postgres server this process can use: its URL, and how to let go of it. */
export interface EmbeddedServer {
  url: string;
  dataDir: string;
  /**
   * How node-postgres must connect to it (its `stream` option): a password goes only
   * to the postmaster the keeper started, never to another process on its port (guarded-socket.ts).
   */
  stream: () => Socket;
  /** true when this process started the server (no other elt process was using it) */
  startedHere: boolean;
  /**
   * Lets go of the server. The last process out stops it (and this waits until it
   * has stopped); returns how many other processes still use it.
   */
  stop(): Promise<number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const START_TIMEOUT_MS = 180_000;

/** node <keeper> under the same TypeScript loader as this process when run from source. */
function keeperCommand(): string[] {
  // dirname(__filename), not __dirname: the tests' global setup loads this file through tsx's tsImport, where only __filename is right
  const keeper = join(dirname(__filename), 'embedded', `keeper${extname(__filename)}`);
  return extname(__filename) === '.ts' ? ['--require', require.resolve('tsx/cjs').replace(/\?.*$/, ''), keeper] : [keeper];
}

function spawnKeeper(cwd: string, layout: EmbeddedLayout, options: KeeperOptions): number {
  // what the keeper prints, should it fail before it can say why, goes to the server log
  const logFd = openLogForAppend(layout.logFile);
  const child = spawn(process.execPath, [...keeperCommand(), cwd, JSON.stringify(options)], {
    detached: true, // its own session: a Ctrl-C meant for a command never reaches the server
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  closeSync(logFd);
  child.unref();
  if (child.pid === undefined) throw new Error(`cannot start ${process.execPath}`);
  writeFileAtomic(layout.keeperPidFile, `${child.pid}\n`, 0o600);
  return child.pid;
}

/**
 * Whether `home` holds an embedded Postgres cluster (a command ran there before), after
 * refusing (exit 2) a `.elt/` another account could have planted, as a start would.
 * Nothing is made or changed.
 */
export function hasEmbeddedCluster(home: string): boolean {
  const layout = embeddedLayout(home);
  if (!checkTrustedDir(layout.stateDir)) return false; // no .elt/ at all
  checkStateDir(layout, serverUser()?.uid); // pgdata included
  return existsSync(layout.dataDir);
}

/** .elt/, made when missing; refused (with all it holds) when another account could have planted it (state-trust.ts). */
function prepareStateDir(layout: EmbeddedLayout): void {
  checkTrustedDir(layout.stateDir); // before anything is changed through it
  ensureTrustedDir(layout.stateDir, 0o700);
  // the owner alone may look inside; as root the server's own account needs to pass through
  chmodSync(layout.stateDir, process.getuid?.() === 0 ? 0o711 : 0o700);
  checkStateDir(layout, serverUser()?.uid);
}

async function waitUntilReady(
  layout: EmbeddedLayout,
  keeperPid: number,
): Promise<{ port: number; dataDir: string; adopted: boolean; postmasterPid?: number; warning?: string }> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const state = readServerState(layout.stateFile);
    if (state?.keeperPid === keeperPid) {
      if (state.status === 'ready') return state;
      throw new Error(state.error);
    }
    if (!isProcessAlive(keeperPid)) {
      const again = readServerState(layout.stateFile);
      if (again?.keeperPid === keeperPid) continue;
      throw new Error(`its keeper process ended without saying why (see ${layout.logFile})`);
    }
    if (Date.now() > deadline) throw new Error(`not ready after ${START_TIMEOUT_MS / 1000} s (see ${layout.logFile})`);
    await sleep(50);
  }
}

/**
 * Starts (or joins) the embedded Postgres of `<cwd>/.elt`, whose data stays there
 * for the next run. Any number of elt processes share it: each holds a lease, and
 * the server stops when the last one lets go (or dies). It listens on 127.0.0.1
 * only, behind a random password kept in `.elt/password` (mode 0600), on the port it
 * had the last time (`options.port`, from ELT_EMBEDDED_PORT, when set: see stable-port.ts).
 */
export async function startEmbeddedServer(cwd: string, log: Logger, options: Partial<KeeperOptions> = {}): Promise<EmbeddedServer> {
  const layout = embeddedLayout(cwd);
  let lease: string | undefined;
  let startedHere = false;
  try {
    prepareStateDir(layout);
    const keeperPid = await withFileLock(layout.lockFile, () => {
      lease = takeLease(layout.leasesDir);
      const running = keeperPidIn(layout.keeperPidFile);
      if (running !== undefined && isProcessAlive(running)) return running;
      startedHere = true;
      return spawnKeeper(cwd, layout, { postgresFlags: options.postgresFlags ?? [], binDir: options.binDir, port: options.port });
    });
    if (startedHere) log.info(`starting the embedded Postgres in ${layout.dataDir}`);
    const ready = await waitUntilReady(layout, keeperPid);
    const postmasterPid = ready.postmasterPid;
    if (postmasterPid === undefined) throw new Error('its keeper is of an earlier version: stop the elt commands using it, then start again');
    // the port is our postmaster's, not another program's that took it while the server was down
    const checkPeer = () => checkPostmasterPort(ready.port, postmasterPid);
    checkPeer();
    const password = readTrustedFile(layout.passwordFile, { maxBytes: 1024 }).trim();
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${ready.port}/postgres`;
    if (ready.adopted && startedHere)
      log.warn(`an embedded Postgres was left running on ${ready.dataDir} by a process that died: it is now stopped when unused`);
    if (startedHere && ready.warning) log.warn(ready.warning);
    if (startedHere) log.info(`embedded Postgres started on port ${ready.port} (data in ${ready.dataDir})`);
    else log.info(`using the embedded Postgres already running on port ${ready.port} (${ready.dataDir})`);
    if (options.port !== undefined && options.port !== ready.port) {
      log.warn(
        `the embedded Postgres already runs on port ${ready.port}, not ${options.port} (ELT_EMBEDDED_PORT): it moves there once the elt commands using it have ended`,
      );
    }
    const held = lease as string;
    const stream = guardedSocket(checkPeer, `port ${ready.port}`);
    return { url, dataDir: ready.dataDir, stream, startedHere, stop: () => release(layout, held, keeperPid) };
  } catch (err) {
    if (lease) dropLease(lease);
    const reason = describeError(err);
    throw new EltError(
      `cannot start the embedded Postgres in ${layout.dataDir}: ${reason}; set DATABASE_URL to use another server`,
      // a .elt/ that is not safely ours is the folder's fault, not the database's
      err instanceof EltError ? err.exitCode : ExitCode.database,
      { cause: err },
    );
  }
}

/** Drops the lease; the last one out asks the keeper to stop the server now, and waits for it. */
async function release(layout: EmbeddedLayout, lease: string, keeperPid: number): Promise<number> {
  const others = await withFileLock(layout.lockFile, () => {
    dropLease(lease);
    return liveLeases(layout.leasesDir).length;
  });
  if (others > 0) return others;
  try {
    process.kill(keeperPid, 'SIGUSR2');
  } catch {
    return 0; // already gone
  }
  const deadline = Date.now() + 60_000;
  while (isProcessAlive(keeperPid) && Date.now() < deadline) {
    // another process may have joined meanwhile: then the keeper stays, and so does the server
    if (keeperPidIn(layout.keeperPidFile) === keeperPid && liveLeases(layout.leasesDir).length > 0) break;
    await sleep(25);
  }
  return 0;
}
