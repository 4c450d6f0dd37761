import { readFileSync } from 'node:fs';

/** True when Linux says the process has exited but was not reaped (an init that never reaps keeps zombies forever). */
function isZombie(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true;
  } catch {
    return false; // no /proc (macOS), or gone meanwhile
  }
}

/**
 * True when a process with this pid runs. A process of another user answers
 * EPERM: it exists, so it counts as alive (never stop a server someone still uses).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** The pid written in a file, or undefined when the file is missing or holds none. */
export function readPid(text: string | undefined): number | undefined {
  const pid = Number((text ?? '').trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
