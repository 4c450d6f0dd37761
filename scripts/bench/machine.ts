/** The machine a benchmark ran on, recorded next to its figures. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { describeEntry, type EltEntry } from './elt-entry';

export interface MachineInfo {
  cpuModel: string;
  /** logical CPUs this process may use */
  cores: number;
  memoryBytes: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** `psql --version`, or null when there is no psql */
  psql: string | null;
  /** 1, 5 and 15 minute load averages when described: other work on the machine skews the figures */
  loadAverage: number[];
  /** the code `node bin/elt.js` ran (scripts/bench/elt-entry.ts): compiled dist/, or the sources through tsx; absent when not told */
  elt?: string;
}

/** The CPU model from /proc/cpuinfo (os.cpus() elsewhere). */
function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0]?.model.trim() || 'unknown';
}

/** `psql --version` of the psql on PATH, or null when it cannot run. */
export function psqlVersion(psql = 'psql'): string | null {
  const result = spawnSync(psql, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** The machine, and the code elt runs on it when `entry` is given. */
export function describeMachine(entry?: EltEntry): MachineInfo {
  const memoryBytes = os.totalmem();
  return {
    cpuModel: cpuModel(),
    cores: os.availableParallelism(),
    memoryBytes,
    memoryGiB: Math.round((memoryBytes / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    psql: psqlVersion(),
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
    ...(entry === undefined ? {} : { elt: describeEntry(entry) }),
  };
}
