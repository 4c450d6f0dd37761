/**
 * The keeper of a folder's embedded Postgres: a small detached process that
 * starts the server (or adopts one left running), reports its port in
 * `.elt/server.json`, and stops it once no process holds a lease on it. Because it
 * is detached (its own session), Ctrl-C in a terminal reaches the `elt` commands,
 * not the server; because it watches the leases' pids, a command that crashes or
 * is killed never leaves the server running on its own.
 *
 * Run as: node keeper.js <folder> '<json options>'   (started by embedded-server.ts)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { describeError } from '../../core/errors';
import { appendToLog, openLogForAppend, writeFileAtomic } from '../../core/safe-write';
import { ensureTrustedDir, readTrustedFile, readTrustedTail } from '../../core/trusted-path';
import { freePort } from '../free-port';
import { postgresBinaries, type PostgresBinaries } from './binaries';
import { withFileLock } from './file-lock';
import { embeddedLayout, type EmbeddedLayout } from './layout';
import { liveLeases } from './leases';
import { listenerOn } from './listening-socket';
import { isProcessAlive, readPid } from './process-alive';
import { canEnter, SHARED_HOME, serverUser, type ServerUser } from './server-user';
import { embeddedSettingFlags, initdbFlags } from './server-settings';
import { keeperPidIn, writeServerState, type KeeperOptions } from './server-state';
import { rememberedPort, rememberPort } from './stable-port';
import { checkStateDir } from './state-trust';

const SUPERUSER = 'postgres';
/** The password of clusters made before passwords were random: replaced at first start. */
const LEGACY_PASSWORD = 'postgres';
const POLL_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Keeper {
  private readonly user: ServerUser | undefined;
  private postmasterPid: number | undefined;
  private child: ChildProcess | undefined;
  private stopping = false;
  /** said to the user once the server is ready (the port it had was taken) */
  private warning: string | undefined;

  constructor(
    private readonly layout: EmbeddedLayout,
    private readonly options: KeeperOptions,
  ) {
    this.user = serverUser();
  }

  log(message: string): void {
    appendToLog(this.layout.logFile, `${new Date().toISOString()} keeper[${process.pid}]: ${message}\n`);
  }

  /** The cluster's folder: .elt/pgdata, or (as root, out of the server user's reach) a folder of SHARED_HOME linked from it. */
  private dataDir(): string {
    const { dataDir, stateDir } = this.layout;
    if (!this.user || canEnter(this.user, stateDir)) {
      if (existsSync(dataDir) && lstatSync(dataDir).isSymbolicLink()) return realpathSync(dataDir);
      return dataDir;
    }
    if (existsSync(dataDir)) {
      if (lstatSync(dataDir).isSymbolicLink()) return realpathSync(dataDir);
      throw new Error(
        `the ${this.user.name} account cannot reach ${dataDir} (a folder inside a private home): move it to ${SHARED_HOME} and link it, or run elsewhere`,
      );
    }
    const id = createHash('sha256').update(realpathSync(stateDir)).digest('hex').slice(0, 16);
    const shared = join(SHARED_HOME, 'clusters', id, 'pgdata');
    // root's own folders (no other account may have made them), passable by the server's account
    ensureTrustedDir(SHARED_HOME, 0o755);
    chmodSync(SHARED_HOME, 0o755);
    ensureTrustedDir(join(SHARED_HOME, 'clusters'), 0o755);
    ensureTrustedDir(join(SHARED_HOME, 'clusters', id), 0o755);
    symlinkSync(shared, dataDir);
    this.log(`the ${this.user.name} account cannot enter ${stateDir}: the cluster lives in ${shared} (linked from ${dataDir})`);
    return shared;
  }

  private password(): { password: string; fresh: boolean } {
    if (lstatSync(this.layout.passwordFile, { throwIfNoEntry: false })) {
      return { password: readTrustedFile(this.layout.passwordFile, { maxBytes: 1024 }).trim(), fresh: false };
    }
    const password = randomBytes(24).toString('base64url');
    writeFileAtomic(this.layout.passwordFile, `${password}\n`, 0o600);
    return { password, fresh: true };
  }

  private initdb(binaries: PostgresBinaries, dataDir: string, password: string): void {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (this.user) chownSync(dataDir, this.user.uid, this.user.gid);
    // initdb reads the password from a file beside the (empty) data dir that the server's user can read, removed at once
    const pwfile = `${dataDir}.pwfile-${process.pid}`;
    writeFileAtomic(pwfile, `${password}\n`, 0o600);
    if (this.user) chownSync(pwfile, this.user.uid, this.user.gid);
    try {
      const result = spawnSync(
        binaries.initdb,
        [
          `--pgdata=${dataDir}`,
          '--auth=scram-sha-256',
          `--username=${SUPERUSER}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--locale=C',
          ...initdbFlags(spawnSync(binaries.initdb, ['--version'], { encoding: 'utf8' }).stdout ?? ''),
        ],
        { uid: this.user?.uid, gid: this.user?.gid, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      if (result.status !== 0) {
        const output = (result.stderr || result.error?.message || '').trim().split('\n');
        throw new Error(`initdb failed: ${(output.find((line) => /error/i.test(line)) ?? output.at(-1) ?? '').trim()}`);
      }
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  /** A server already running on the data dir (its keeper died): its postmaster pid and port. */
  private runningServer(dataDir: string): { pid: number; port: number } | undefined {
    let lines: string[];
    try {
      lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    } catch {
      return undefined;
    }
    const pid = readPid(lines[0]);
    const port = Number(lines[3]);
    if (pid === undefined || !isProcessAlive(pid) || !Number.isInteger(port)) return undefined;
    // a pid another process has since taken, or a server that lost its port: never reported as ours
    const listener = listenerOn(port, pid).kind;
    if (listener !== 'ours' && listener !== 'unknown') {
      throw new Error(
        `process ${pid}, named in ${join(dataDir, 'postmaster.pid')}, is not a server listening on port ${port}: stop it, or remove that file if no server runs there`,
      );
    }
    return { pid, port };
  }

  /**
   * Until the postmaster we started (not a dead one, whose postmaster.pid says "ready"
   * too) is ready, and the socket listening on 127.0.0.1:`port` is its own: only then
   * may a password be sent there. A postmaster that cannot bind the port exits.
   */
  private async waitUntilReady(dataDir: string, child: ChildProcess, port: number): Promise<'ready' | 'port taken' | 'failed'> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return 'failed';
      let lines: string[] = [];
      try {
        lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
      } catch {
        // not written yet
      }
      if (readPid(lines[0]) === child.pid && Number(lines[3]) === port && lines[7]?.trim() === 'ready') {
        const listener = listenerOn(port, child.pid).kind;
        if (listener === 'ours' || listener === 'unknown') return 'ready';
        if (listener === 'other') return 'port taken';
      }
      await sleep(50);
    }
    return 'failed';
  }

  /**
   * Starts the postmaster on the port of the cluster: ELT_EMBEDDED_PORT when set (taken
   * by another program: a failure), else the one remembered in .elt/port (taken: a
   * warning, and a free port instead), else a free one; the port it listens on is remembered.
   */
  private async startServer(binaries: PostgresBinaries, dataDir: string): Promise<number> {
    const configured = this.options.port;
    const remembered = rememberedPort(this.layout.portFile);
    let wanted = configured ?? remembered;
    let taken: number | undefined;
    for (let attempt = 1; ; attempt += 1) {
      const port = wanted ?? (await freePort());
      const outcome = await this.startPostmaster(binaries, dataDir, port);
      if (outcome === 'ready') {
        if (port !== remembered) rememberPort(this.layout.portFile, port);
        if (taken !== undefined) {
          this.warning = `port ${taken}, the port of this cluster, is taken by another program: the embedded Postgres listens on port ${port} instead, remembered from now on (update saved connections, or set ELT_EMBEDDED_PORT)`;
        }
        return port;
      }
      if (outcome !== 'port taken') throw new Error(`the server did not start: ${outcome.failure}`);
      if (configured !== undefined) throw new Error(`port ${port} (ELT_EMBEDDED_PORT) is taken by another program: stop it, or set another port`);
      // taken by another program, or between finding it free and binding it: try another
      if (attempt >= 3) throw new Error(`the server did not start: port ${port} is taken by another program`);
      taken ??= wanted;
      wanted = undefined;
    }
  }

  /** One start of the postmaster on `port`: ready, the port taken by another program, or why it failed. */
  private async startPostmaster(binaries: PostgresBinaries, dataDir: string, port: number): Promise<'ready' | 'port taken' | { failure: string }> {
    const logStart = statSync(this.layout.logFile, { throwIfNoEntry: false })?.size ?? 0;
    const logFd = openLogForAppend(this.layout.logFile);
    const child = spawn(
      binaries.postgres,
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        // no Unix socket: the TCP port, behind a password only the owner can read, is the only way in
        '-c',
        'unix_socket_directories=',
        // the settings it chooses for itself (server-settings.ts), then the caller's, which win
        ...embeddedSettingFlags(),
        ...this.options.postgresFlags,
      ],
      { uid: this.user?.uid, gid: this.user?.gid, stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd); // the server has its own copy
    child.on('error', (err) => this.log(`cannot run ${binaries.postgres}: ${err.message}`));
    const outcome = await this.waitUntilReady(dataDir, child, port);
    if (outcome === 'ready') {
      this.child = child;
      this.postmasterPid = child.pid;
      return 'ready';
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // what this start logged (not an earlier one's lines)
    const logged = this.logTail(20, logStart);
    if (outcome === 'port taken' || /could not (bind|create listen socket)|could not create any TCP\/IP sockets/.test(logged)) return 'port taken';
    return { failure: this.logTail(3, logStart) };
  }

  /** The last `lines` of the server's log (since the byte offset `since`, when given). */
  logTail(lines: number, since = 0): string {
    try {
      // the end of the log only: it grows for as long as the cluster lives
      const size = statSync(this.layout.logFile).size;
      return readTrustedTail(this.layout.logFile, Math.max(0, Math.min(64 * 1024, size - since)))
        .trim()
        .split('\n')
        .filter((line) => !line.includes(' keeper['))
        .slice(-lines)
        .join(' | ');
    } catch {
      return '';
    }
  }

  /** A cluster made with the fixed password of earlier versions gets a random one. */
  private async replaceLegacyPassword(port: number, password: string): Promise<void> {
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password: LEGACY_PASSWORD, database: 'postgres' });
    try {
      await client.connect();
    } catch {
      throw new Error(
        `the cluster in ${this.layout.dataDir} was made with another password and ${this.layout.passwordFile} is missing; restore that file or remove ${this.layout.stateDir}`,
      );
    }
    try {
      await client.query(`alter role ${SUPERUSER} password '${password.replaceAll("'", "''")}'`);
      this.log('replaced the fixed password of an earlier version with a random one');
    } finally {
      await client.end();
    }
  }

  async start(): Promise<void> {
    // checked by the command that started this keeper too; again here, where the password is read
    checkStateDir(this.layout, this.user?.uid);
    const binaries = postgresBinaries(this.user, this.options.binDir);
    const dataDir = this.dataDir();
    const { password, fresh } = this.password();
    const running = this.runningServer(dataDir);
    const created = !running && !existsSync(join(dataDir, 'PG_VERSION'));
    let port: number;
    if (running) {
      // left running by a keeper that was killed: adopt it, so that it is stopped when unused
      this.postmasterPid = running.pid;
      port = running.port;
      this.log(`adopted the server already running (pid ${running.pid}, port ${port})`);
      if (rememberedPort(this.layout.portFile) !== port) rememberPort(this.layout.portFile, port);
    } else {
      if (created) this.initdb(binaries, dataDir, password);
      port = await this.startServer(binaries, dataDir);
      this.log(`server started (pid ${this.postmasterPid}, port ${port})${created ? ', cluster created' : ''}`);
    }
    // a cluster of an earlier version, with its fixed password: replaced before anyone connects
    if (fresh && !created) await this.replaceLegacyPassword(port, password);
    const adopted = running !== undefined;
    writeServerState(this.layout.stateFile, {
      status: 'ready',
      keeperPid: process.pid,
      port,
      dataDir,
      adopted,
      postmasterPid: this.postmasterPid,
      ...(this.warning ? { warning: this.warning } : {}),
    });
  }

  private postmasterAlive(): boolean {
    if (this.child) return this.child.exitCode === null && this.child.signalCode === null;
    return this.postmasterPid !== undefined && isProcessAlive(this.postmasterPid);
  }

  /** Fast shutdown (SIGINT): open sessions are rolled back, the data is consistent. */
  private async stopServer(): Promise<void> {
    const pid = this.postmasterPid;
    if (pid === undefined || !this.postmasterAlive()) return;
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 60_000;
    while (this.postmasterAlive()) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGQUIT');
        break;
      }
      await sleep(25);
    }
    this.log(`server stopped (pid ${pid})`);
  }

  /** Stops the server and leaves, once no live process holds a lease (checked under the lock). */
  async stopWhenUnused(force = false): Promise<boolean> {
    if (this.stopping) return true;
    return withFileLock(this.layout.lockFile, async () => {
      if (!force && liveLeases(this.layout.leasesDir).length > 0) return false;
      this.stopping = true;
      await this.stopServer();
      rmSync(this.layout.stateFile, { force: true });
      if (keeperPidIn(this.layout.keeperPidFile) === process.pid) unlinkSync(this.layout.keeperPidFile);
      return true;
    }).catch((err: unknown) => {
      this.log(`stopping failed: ${describeError(err)}`);
      return false;
    });
  }

  async watch(): Promise<void> {
    let wake: (() => void) | undefined;
    process.on('SIGUSR2', () => wake?.()); // a process that left asks for a look now
    let terminate = false;
    const onTerminate = () => {
      terminate = true;
      wake?.();
    };
    process.on('SIGTERM', onTerminate);
    process.on('SIGHUP', () => undefined);
    process.on('SIGINT', () => undefined);
    for (;;) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS);
      });
      if (!this.postmasterAlive()) {
        this.log('the server stopped on its own');
        writeServerState(this.layout.stateFile, {
          status: 'failed',
          keeperPid: process.pid,
          error: `the server stopped unexpectedly: ${this.logTail(2)}`,
        });
        return;
      }
      if (await this.stopWhenUnused(terminate)) return;
    }
  }
}

async function run(folder: string, optionsText: string | undefined): Promise<number> {
  const layout = embeddedLayout(folder);
  const options: KeeperOptions = { postgresFlags: [], ...(optionsText ? (JSON.parse(optionsText) as Partial<KeeperOptions>) : {}) };
  const keeper = new Keeper(layout, options);
  try {
    await keeper.start();
  } catch (err) {
    const message = describeError(err);
    keeper.log(`cannot start: ${message}`);
    writeServerState(layout.stateFile, { status: 'failed', keeperPid: process.pid, error: message });
    return 1;
  }
  await keeper.watch();
  return 0;
}

if (require.main === module) {
  const [folder, optionsText] = process.argv.slice(2);
  if (!folder) {
    process.stderr.write('usage: keeper <folder> [json options]\n');
    process.exit(2);
  }
  run(folder, optionsText).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
