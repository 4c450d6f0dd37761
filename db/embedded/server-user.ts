import { execFileSync, spawnSync } from 'node:child_process';
import { resolveSetting } from '../../core/settings/resolve-settings';

/** The unprivileged account the embedded server runs as when we are root (Postgres refuses root). */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

const NAME = 'postgres';

function idOf(flag: '-u' | '-g'): number | undefined {
  try {
    const id = Number(execFileSync('id', [flag, NAME], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * undefined when not root (the server runs as the current user); as root, the
 * `postgres` account, created (system account, no home, no login shell) when missing.
 */
export function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let uid = idOf('-u');
  if (uid === undefined) {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', NAME], { stdio: 'ignore' });
    uid = idOf('-u');
  }
  const gid = idOf('-g');
  if (uid === undefined || gid === undefined) throw new Error(`cannot find or create the "${NAME}" account to run the server as`);
  return { name: NAME, uid, gid };
}

/**
 * True when `user` can enter directory `dir` (every folder on the way needs the
 * search bit for it): checked by running a shell as that user, which is exactly
 * what the server will be (no supplementary groups, as Node spawns it).
 */
export function canEnter(user: ServerUser | undefined, dir: string): boolean {
  if (!user) return true;
  const result = spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return result.status === 0;
}

/** True when `user` can run the program at `path`. */
export function canRun(user: ServerUser | undefined, path: string): boolean {
  if (!user) return true;
  const result = spawnSync(path, ['--version'], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return result.status === 0;
}

/**
 * As root, what the server's user cannot reach inside a private home (mode 0700,
 * the default for /root) is kept here instead: a copy of the binaries and the cluster.
 */
export const SHARED_HOME = resolveSetting('embeddedHome', { env: process.env });
