/**
 * Running the benchmark's client processes (the real `elt` CLI, psql) and
 * reading what they say: wall time, exit code, peak memory, CPU time, and
 * elt's own log lines (`<phase> done in`, `peak memory N MB`) and summary.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Logger } from '../core/log';
import { watchProcess } from './bench-proc';

export const PROJECT_ROOT = resolve(__dirname, '..');
const ELT_BIN = join(PROJECT_ROOT, 'bin', 'elt.js');

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  stdout: string;
  stderr: string;
  /** polled from /proc (undefined elsewhere) */
  peakRssMb?: number;
  cpuMs?: number;
}

/** The environment for a child: ours without any ELT_* setting (they would change what is measured), on `databaseUrl`. */
export function childEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('ELT_') && name !== 'DATABASE_URL') env[name] = value;
  }
  env.DATABASE_URL = databaseUrl;
  return env;
}

/** Runs a command to its end, forwarding its stderr lines to `log` under `label`. */
export function runChild(command: string, args: string[], options: { env: NodeJS.ProcessEnv; log: Logger; label: string }): Promise<ChildRun> {
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const watch = child.pid === undefined ? undefined : watchProcess(child.pid);
    let stdout = '';
    let stderr = '';
    let partial = '';
    let exited: { code: number | null; signal: NodeJS.Signals | null; wallMs: number } | undefined;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => (stdout += text));
    child.stderr.on('data', (text: string) => {
      stderr += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.log.info(`  ${options.label} | ${line}`);
    });
    child.once('error', (err) => {
      watch?.stop();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      exited = { code, signal, wallMs: performance.now() - started };
    });
    child.once('close', (code, signal) => {
      const polled = watch?.stop() ?? {};
      if (partial.trim()) options.log.info(`  ${options.label} | ${partial}`);
      const end = exited ?? { code, signal, wallMs: performance.now() - started };
      resolveRun({ ...end, stdout, stderr, peakRssMb: polled.peakRssMb, cpuMs: polled.cpuMs });
    });
  });
}

/** What an `elt` run said about itself. */
export interface EltRun extends ChildRun {
  /** from `peak memory N MB` (the process's maxRSS), else the polled figure */
  peakMb?: number;
  phasesMs: Record<string, number>;
  modelsMs: Record<string, number>;
  /** the load line of the summary on stdout */
  load?: { files: number; loaded: number; skipped: number; failed: number; rows: number; rejected: number };
}

const count = (text: string | undefined): number => Number((text ?? '').replaceAll(',', ''));
const toMs = (value: string | undefined, unit: string | undefined): number => Number(value) * (unit === 's' ? 1000 : 1);

/** Reads elt's stderr log and stdout summary. */
export function parseEltOutput(stdout: string, stderr: string): Pick<EltRun, 'peakMb' | 'phasesMs' | 'modelsMs' | 'load'> {
  const phasesMs: Record<string, number> = {};
  for (const match of stderr.matchAll(/^elt: (\w+) done in ([\d.]+) (ms|s)$/gm)) phasesMs[match[1] as string] = toMs(match[2], match[3]);
  const modelsMs: Record<string, number> = {};
  // `built materialized view marts.x in 12 ms`, `refreshed marts.x concurrently in 9 ms`, ...: any verb, any kind of relation
  for (const match of stderr.matchAll(/^elt: (\w+) (?:[a-z ]+ )?(\w+\.\w+) (?:[a-z]+ )?in (\d+) ms$/gm)) {
    modelsMs[`${match[1]} ${match[2]}`] = Number(match[3]);
  }
  const peak = /peak memory (\d+) MB$/m.exec(stderr);
  const load = /(\d+) files: (\d+) loaded, (\d+) skipped, (\d+) failed; ([\d,]+) rows, ([\d,]+) rejected/.exec(stdout);
  return {
    peakMb: peak ? Number(peak[1]) : undefined,
    phasesMs,
    modelsMs,
    load: load
      ? { files: count(load[1]), loaded: count(load[2]), skipped: count(load[3]), failed: count(load[4]), rows: count(load[5]), rejected: count(load[6]) }
      : undefined,
  };
}

/** The last error-looking lines of a failed child, for the report. */
export function failureOf(run: ChildRun): string {
  const lines = run.stderr.split('\n').filter((line) => line.trim());
  const errors = lines.filter((line) => /error|fatal|failed/i.test(line));
  const tail = (errors.length > 0 ? errors : lines).slice(-2).join(' | ');
  return `exit ${run.code ?? run.signal}${tail ? `: ${tail}` : ''}`;
}

/** Runs `node bin/elt.js <args>` (the CLI from source, as users do) on `databaseUrl`; throws when it fails. */
export async function runElt(args: string[], databaseUrl: string, log: Logger, label: string): Promise<EltRun> {
  const run = await runChild(process.execPath, [ELT_BIN, ...args], { env: childEnv(databaseUrl), log, label });
  if (run.code !== 0) throw new Error(`elt ${args[0]} ${failureOf(run)}`);
  const parsed = parseEltOutput(run.stdout, run.stderr);
  return { ...run, ...parsed, peakMb: parsed.peakMb ?? run.peakRssMb };
}
