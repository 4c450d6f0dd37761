import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { CliResult } from '../helpers/run-cli';

const CLI = join(__dirname, '..', '..', 'cli', 'main.ts');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

/** An `elt` child process that a test can watch and kill. */
export interface CliProcess {
  pid: number;
  /** what it printed so far */
  output(): { stdout: string; stderr: string };
  /** settles when the process has exited (code null when killed) */
  done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
  /** SIGKILL, unless it already exited */
  kill(): void;
}

const running = new Set<ChildProcessByStdio<null, Readable, Readable>>();

/**
 * Starts `elt <args>` from source as ONE process (node with the tsx loader, not
 * the tsx CLI, which would run the program in a grandchild that a SIGKILL of the
 * child does not reach). Kill it with kill(); killAll() ends the strays of a failed test.
 */
export function startCli(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): CliProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  if (child.pid === undefined) throw new Error('the elt process did not start');
  return {
    pid: child.pid,
    output: () => ({ stdout, stderr }),
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs `elt <args>` to its end, killing it if it takes longer than `timeoutMs`. */
export async function runCliBounded(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<CliResult> {
  const cli = startCli(args, options);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    cli.kill();
  }, timeoutMs);
  try {
    const result = await cli.done;
    if (timedOut) throw new Error(`elt ${args.join(' ')} was killed after ${timeoutMs} ms:\n${result.stderr}`);
    if (result.signal !== null) throw new Error(`elt ${args.join(' ')} died of ${result.signal}:\n${result.stderr}`);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Kills every elt process these helpers started that is still running. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** One line on stderr starting `elt: error:`, matching `pattern`, and no stack trace. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('elt: error'));
}
