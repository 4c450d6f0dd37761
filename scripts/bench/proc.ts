/**
 * Linux /proc readings for the benchmark: the CPU time of our children once they
 * have ended (Node gives no rusage of its children, /proc/self/stat does), a running
 * child's peak memory (polled), and the CPU time a local Postgres server spends (its
 * processes plus the backends it reaped). Every reading is undefined where /proc is
 * missing or the process is not ours to read.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ: the unit of the CPU times in /proc/<pid>/stat (100 almost everywhere). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime of the process itself, in ms */
  ownCpuMs: number;
  /** cutime + cstime: children it has waited for, in ms */
  reapedCpuMs: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, so fields[11]
  const num = (field: number): number => Number(fields[field - 3]);
  const msPerTick = 1000 / clockTicks();
  return {
    pid,
    comm: text.slice(open + 1, close),
    ppid: num(4),
    ownCpuMs: (num(14) + num(15)) * msPerTick,
    reapedCpuMs: (num(16) + num(17)) * msPerTick,
  };
}

/** CPU time of the children this process has waited for, so far: a difference of two readings is what the children that ended in between used. */
export function reapedChildrenCpuMs(): number | undefined {
  return readProcStat(process.pid)?.reapedCpuMs;
}

/** Polls a running process's peak resident memory (VmHWM, MiB) until stopped; stop() gives the last figure read. */
export function watchPeakMemory(pid: number, intervalMs = 50): { stop(): number | undefined } {
  let peakMb: number | undefined;
  const sample = (): void => {
    try {
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peakMb = Math.max(peakMb ?? 0, Number(match[1]) / 1024);
    } catch {
      // gone, or no /proc
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peakMb;
    },
  };
}

/**
 * CPU time used so far by a Postgres server running on this machine: the
 * postmaster and its live children (backends, checkpointer, autovacuum, ...)
 * plus what the postmaster has reaped of exited ones. Differences of two
 * readings give the server's CPU time in between.
 */
export function serverCpuMs(postmasterPid: number): number | undefined {
  const postmaster = readProcStat(postmasterPid);
  if (postmaster === undefined) return undefined;
  let total = postmaster.ownCpuMs + postmaster.reapedCpuMs;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat?.ppid === postmasterPid) total += stat.ownCpuMs + stat.reapedCpuMs;
  }
  return total;
}

/**
 * The postmaster of a backend, when that backend runs on this machine (the
 * server is local): its parent, provided both are postgres processes. A remote
 * server's pid means nothing here, and the check makes a look-alike unlikely.
 */
export function localPostmaster(backendPid: number): number | undefined {
  const backend = readProcStat(backendPid);
  if (backend === undefined || !backend.comm.startsWith('postgres')) return undefined;
  const parent = readProcStat(backend.ppid);
  return parent !== undefined && parent.comm.startsWith('postgres') ? parent.pid : undefined;
}
