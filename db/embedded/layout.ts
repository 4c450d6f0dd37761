import { join, resolve } from 'node:path';

/**
 * Where the embedded Postgres of a folder keeps its things, all under `<folder>/.elt/`:
 *   pgdata/       the cluster (as root, when the server's user cannot reach this folder,
 *                 a symlink to a cluster kept under /var/lib/clickstream-elt/: see server-user.ts)
 *   password      the superuser's random password (mode 0600: only the owner can read it)
 *   port          the port the server listens on, kept from one start to the next (stable-port.ts)
 *   server.json   what the keeper reports: starting, ready (port), failed (why)
 *   keeper.pid    the keeper process that starts, watches and stops the server
 *   leases/       one file per process using the server; the last one out stops it
 *   lock          held for a moment while a process joins, leaves, or the server stops
 *   server.log    the server's and the keeper's log
 * Each must be ours (or root's) and writable by nobody else, or elt refuses to start
 * (state-trust.ts); no link in it is followed but pgdata, a link of ours as root.
 */
export interface EmbeddedLayout {
  stateDir: string;
  dataDir: string;
  passwordFile: string;
  portFile: string;
  stateFile: string;
  keeperPidFile: string;
  leasesDir: string;
  lockFile: string;
  logFile: string;
}

export function embeddedLayout(cwd: string): EmbeddedLayout {
  const stateDir = resolve(cwd, '.elt');
  return {
    stateDir,
    dataDir: join(stateDir, 'pgdata'),
    passwordFile: join(stateDir, 'password'),
    portFile: join(stateDir, 'port'),
    stateFile: join(stateDir, 'server.json'),
    keeperPidFile: join(stateDir, 'keeper.pid'),
    leasesDir: join(stateDir, 'leases'),
    lockFile: join(stateDir, 'lock'),
    logFile: join(stateDir, 'server.log'),
  };
}
