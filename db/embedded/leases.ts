import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/safe-write';
import { ensureTrustedDir, readTrustedFile } from '../../core/trusted-path';
import { isProcessAlive, readPid } from './process-alive';

let counter = 0;

/**
 * Each process using the embedded server holds a lease: a file naming its pid.
 * The server runs while a lease's process lives; a process that crashed leaves a
 * lease whose pid is gone, and that lease no longer counts.
 */
export function takeLease(leasesDir: string): string {
  ensureTrustedDir(leasesDir, 0o700, { noLink: true });
  counter += 1;
  const path = join(leasesDir, `${process.pid}-${counter}`);
  writeFileAtomic(path, `${process.pid}\n`, 0o600);
  return path;
}

export function dropLease(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already pruned
  }
}

/** The pids of the processes holding live leases; the leases of dead processes are removed (a lease we cannot trust counts for none). */
export function liveLeases(leasesDir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(leasesDir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const path = join(leasesDir, name);
    let pid: number | undefined;
    try {
      pid = readPid(readTrustedFile(path, { maxBytes: 64 }));
    } catch {
      continue;
    }
    if (pid !== undefined && isProcessAlive(pid)) live.push(pid);
    else dropLease(path);
  }
  return live;
}
