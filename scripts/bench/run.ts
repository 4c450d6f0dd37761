/**
 * Running the benchmark's client processes (the real `elt` CLI, psql): wall time,
 * exit code, CPU time and peak memory; and what elt says about itself in its
 * machine-readable outputs: the JSON log lines of `--log-format json` (phase and
 * model timings, peak memory) and the summary.json of `elt run --output-dir`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../../core/log';
import type { RunReport } from '../../pipeline/run-report';
import { reapedChildrenCpuMs, watchPeakMemory } from './proc';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
export const ELT_BIN = join(PROJECT_ROOT, 'bin', 'elt.js');

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  stdout: string;
  /** stderr, one entry a line (for elt: the message of each JSON log line) */
  lines: string[];
  /** from /proc (undefined elsewhere): peak memory polled, CPU time once it ended */
  peakRssMb?: number;
  cpuMs?: number;
}

/** The environment for a child: ours without any ELT_* setting (they would change what is measured), on `databaseUrl`. */
export function childEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ELT_') && name !== 'DATABASE_URL'),
  );
  return { ...env, DATABASE_URL: databaseUrl };
}

/** The message of a JSON log line (a warning or an error says so), or the line itself when it is not one. */
export function messageOf(line: string): string {
  try {
    const { level, message } = JSON.parse(line) as { level?: string; message?: unknown };
    if (typeof message === 'string') return level === 'info' ? message : `${level}: ${message}`;
  } catch {
    // not JSON: a line of psql, or of node itself
  }
  return line;
}

/** Runs a command to its end (one child at a time: its CPU time is what the children reaped meanwhile used), forwarding its stderr lines to `log` under `label`. */
export function runChild(command: string, args: string[], options: { databaseUrl: string; log: Logger; label: string }): Promise<ChildRun> {
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const cpuBefore = reapedChildrenCpuMs();
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env: childEnv(options.databaseUrl), stdio: ['ignore', 'pipe', 'pipe'] });
    const memory = child.pid === undefined ? undefined : watchPeakMemory(child.pid);
    let stdout = '';
    let partial = '';
    const lines: string[] = [];
    const take = (line: string): void => {
      if (!line.trim()) return;
      lines.push(messageOf(line));
      options.log.info(`  ${options.label} | ${lines.at(-1) ?? ''}`);
    };
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      parts.forEach(take);
    });
    let exitedMs: number | undefined;
    child.once('exit', () => (exitedMs = performance.now() - started));
    child.once('error', (err) => {
      memory?.stop();
      reject(err);
    });
    child.once('close', (code, signal) => {
      take(partial);
      const cpuAfter = reapedChildrenCpuMs();
      const cpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
      resolveRun({ code, signal, wallMs: exitedMs ?? performance.now() - started, stdout, lines, peakRssMb: memory?.stop(), cpuMs });
    });
  });
}

/** The last error-looking lines of a failed child, for the report. */
export function failureOf(run: ChildRun): string {
  const errors = run.lines.filter((line) => /error|fatal|failed/i.test(line));
  const tail = (errors.length > 0 ? errors : run.lines).slice(-2).join(' | ');
  return `exit ${run.code ?? run.signal}${tail ? `: ${tail}` : ''}`;
}

/** What an `elt` run said about itself. */
export interface EltRun extends ChildRun {
  /** elt's own `peak memory N MB` (the process's maxRSS), else the polled figure */
  peakMb?: number;
  /** `<phase> done in` timings: migrate, load, build, refresh, test, chart */
  phasesMs: Record<string, number>;
  /** `i of n OK <kind> <model> in`, `refreshed <mart> in`, ...: keyed `built marts.x`, `refreshed marts.x` */
  modelsMs: Record<string, number>;
}

/** Reads elt's log messages: its phase and model timings and its peak memory. */
export function readEltLog(messages: string[]): Pick<EltRun, 'peakMb' | 'phasesMs' | 'modelsMs'> {
  const phasesMs: Record<string, number> = {};
  const modelsMs: Record<string, number> = {};
  let peakMb: number | undefined;
  for (const message of messages) {
    const phase = /^(\w+) done in ([\d.]+) (ms|s)$/.exec(message);
    if (phase) phasesMs[phase[1] as string] = Number(phase[2]) * (phase[3] === 's' ? 1000 : 1);
    // `built materialized view marts.x in 12 ms`, `refreshed marts.x concurrently in 9 ms`, ...: any verb, any kind of relation
    const model = /^(\w+) (?:[a-z ]+ )?(\w+\.\w+) (?:[a-z]+ )?in (\d+) ms$/.exec(message);
    if (model) modelsMs[`${model[1]} ${model[2]}`] = Number(model[3]);
    // a build's `3 of 9 OK table marts.x in 0.12s`: keyed `built marts.x`
    const built = /^\d+ of \d+ OK [a-z ]+ (\w+\.\w+) in ([\d.]+)s$/.exec(message);
    if (built) modelsMs[`built ${built[1]}`] = Math.round(Number(built[2]) * 1000);
    const peak = /peak memory (\d+) MB$/.exec(message);
    if (peak) peakMb = Number(peak[1]);
  }
  return { peakMb, phasesMs, modelsMs };
}

/** Runs `node bin/elt.js --log-format json <args>` (the CLI from source, as users do) on `databaseUrl`; throws when it fails. */
export async function runElt(args: string[], databaseUrl: string, log: Logger, label: string): Promise<EltRun> {
  const run = await runChild(process.execPath, [ELT_BIN, '--log-format', 'json', ...args], { databaseUrl, log, label });
  if (run.code !== 0) throw new Error(`elt ${args[0]} ${failureOf(run)}`);
  const figures = readEltLog(run.lines);
  return { ...run, ...figures, peakMb: figures.peakMb ?? run.peakRssMb };
}

/** The summary.json `elt run --output-dir <dir>` wrote. */
export function readSummary(dir: string): RunReport {
  return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunReport;
}
