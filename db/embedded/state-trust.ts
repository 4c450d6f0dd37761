import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkTrustedDir, checkTrustedEntry } from '../../core/trusted-path';
import type { EmbeddedLayout } from './layout';

/** Folders in .elt/ besides pgdata and leases: the demo lake of `npm start` (cli/demo.ts). */
const FOLDERS = ['demo-lake'];

/**
 * Refuses a `.elt/` another account could have planted, or anything in it: it must
 * be ours (or root's) and writable by nobody else, and so must each file and folder
 * in it (and each lease). No link in it is followed, but for `pgdata`: as root it is
 * a link of ours to the cluster under SHARED_HOME (server-user.ts), and the cluster
 * itself belongs to the server's account (`serverUid`). Throws UntrustedPathError
 * (exit code 2), naming the path and why. Returns false when `.elt/` does not exist yet.
 */
export function checkStateDir(layout: EmbeddedLayout, serverUid?: number): boolean {
  if (!checkTrustedDir(layout.stateDir)) return false;
  const files = [layout.passwordFile, layout.portFile, layout.stateFile, layout.keeperPidFile, layout.lockFile, layout.logFile];
  for (const name of readdirSync(layout.stateDir)) {
    const path = join(layout.stateDir, name);
    if (path === layout.dataDir) checkTrustedDir(path, { alsoOwnedBy: serverUid === undefined ? [] : [serverUid] });
    else if (path === layout.leasesDir)
      continue; // below
    else checkTrustedEntry(path, files.includes(path) ? 'file' : FOLDERS.includes(name) ? 'dir' : 'either');
  }
  if (checkTrustedDir(layout.leasesDir, { noLink: true })) {
    for (const name of readdirSync(layout.leasesDir)) checkTrustedEntry(join(layout.leasesDir, name), 'file');
  }
  return true;
}
