import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Pool } from 'pg';

const CLI = join(__dirname, '..', '..', 'cli', 'main.ts');

/** `elt <args>` as a child process we can signal (SIGKILL, SIGTERM) while it runs. */
export interface RunningCli {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * Starts `elt <args>` as one process (node with tsx as its loader: the tsx CLI would run the
 * command in a child of its own, which a SIGKILL of the wrapper would leave running).
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: join(__dirname, '..', '..'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, output: () => stdout + stderr, exited };
}

/** Waits until `condition` holds, polling. */
export async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The committed stream batches in the ledger. */
export async function batchCount(pool: Pool): Promise<number> {
  const { rows } = await pool
    .query<{ n: string }>("select count(*) as n from raw.loads where stream_id is not null and status = 'loaded'")
    .catch(() => ({ rows: [{ n: '0' }] }));
  return Number(rows[0]?.n ?? 0);
}

/** The data lines of lake files in publishing order (files in name order, the header and blank lines left out). */
export function dataLines(paths: string[]): string[] {
  return [...paths]
    .sort()
    .flatMap((path) =>
      readFileSync(path, 'utf8')
        .split('\n')
        .map((line) => line.replace(/\r$/, ''))
        .slice(1),
    )
    .filter((line) => line.trim() !== '');
}

/**
 * Checks that the database holds each published line exactly once, at its stream
 * sequence (line k of `lines` is sequence k): accepted as an event with the line's
 * columns, or rejected with the line's text. Returns [events, rejects].
 */
export async function expectExactlyTheLines(pool: Pool, lines: string[]): Promise<[number, number]> {
  const { rows: events } = await pool.query<{ seq: number; cols: string[]; attributes: string }>(
    `select line_no as seq, array[event->>'TIMESTAMP', event->>'MD5(SESSION_ID)', event->>'EVENT_NAME', event->>'MD5(USER_ID)'] as cols,
            (event->'ATTRIBUTES')::text as attributes
       from raw.raw_events`,
  );
  const { rows: rejects } = await pool.query<{ seq: number; raw_text: string }>('select line_no as seq, raw_text from raw.rejected_rows');
  const seen = new Map<number, number>();
  const wrong: string[] = [];
  for (const row of events) {
    seen.set(row.seq, (seen.get(row.seq) ?? 0) + 1);
    const fields = (lines[row.seq - 1] ?? '').split('\t');
    if (row.cols.join('\t') !== fields.slice(0, 4).join('\t') || !isDeepStrictEqual(JSON.parse(row.attributes), JSON.parse(fields[4] ?? 'null')))
      wrong.push(`event ${row.seq}`);
  }
  for (const row of rejects) {
    seen.set(row.seq, (seen.get(row.seq) ?? 0) + 1);
    if (row.raw_text !== lines[row.seq - 1]) wrong.push(`reject ${row.seq}`);
  }
  const missing = lines.map((_, index) => index + 1).filter((seq) => !seen.has(seq));
  const doubled = [...seen].filter(([, count]) => count > 1).map(([seq]) => seq);
  const extra = [...seen.keys()].filter((seq) => seq < 1 || seq > lines.length);
  expect({ missing: missing.slice(0, 5), doubled: doubled.slice(0, 5), extra: extra.slice(0, 5), wrong: wrong.slice(0, 5) }).toEqual({
    missing: [],
    doubled: [],
    extra: [],
    wrong: [],
  });
  return [events.length, rejects.length];
}
