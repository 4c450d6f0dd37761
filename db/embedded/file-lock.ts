import { closeSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { readTrustedFile, UntrustedPathError } from '../../core/trusted-path';
import { isProcessAlive, readPid } from './process-alive';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A lock whose holder died (its pid is gone) for this long is broken. */
const STALE_AFTER_MS = 2000;

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function breakIfStale(path: string): void {
  try {
    const holder = readPid(readTrustedFile(path, { maxBytes: 64 }));
    const age = Date.now() - statSync(path).mtimeMs;
    if (age > STALE_AFTER_MS && (holder === undefined || !isProcessAlive(holder))) unlinkSync(path);
  } catch (err) {
    // a lock another account planted (a link, a FIFO, not ours) is never waited on
    if (err instanceof UntrustedPathError) throw err;
    // gone meanwhile: the next try takes it
  }
}

/**
 * Runs `work` holding an exclusive lock file (created with O_EXCL, so one process
 * at a time), held only for the moments a process joins or leaves the embedded
 * server. A lock left by a process that died is broken after a short while.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T> | T, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (!tryCreate(path)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for the lock ${path}`);
    breakIfStale(path);
    await sleep(25);
  }
  try {
    return await work();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // already broken by someone who thought us dead: nothing to release
    }
  }
}
