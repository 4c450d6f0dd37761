import { asDatabaseFailure } from './database-errors';
import { resolveSetting } from './settings/resolve-settings';

/**
 * Logs go to stderr (data and summaries go to stdout). Each line says what
 * happened; steps report how long they took. Human lines by default (coloured
 * only on a terminal, never with a non-empty NO_COLOR); `--log-format json` gives one JSON
 * object per line for machines.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogFormat = 'human' | 'json';

export interface LoggerOptions {
  format?: LogFormat;
  /** colour the level words; default: stream is a terminal and NO_COLOR is unset or empty */
  color?: boolean;
  quiet?: boolean;
}

const COLORS = { warn: '\x1b[33m', error: '\x1b[31m', reset: '\x1b[0m' } as const;

/** Whether colours are wanted on `stream`: a terminal, unless NO_COLOR is set to a non-empty value (https://no-color.org) or TERM=dumb. */
export function wantsColor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const noColor = resolveSetting('noColor', { env });
  return (stream as NodeJS.WriteStream).isTTY === true && !noColor && env.TERM !== 'dumb';
}

export function createLogger(stream: NodeJS.WritableStream = process.stderr, options: LoggerOptions = {}): Logger {
  const color = options.color ?? wantsColor(stream);
  const write = (level: 'info' | 'warn' | 'error', message: string): void => {
    if (options.format === 'json') {
      stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, message })}\n`);
      return;
    }
    const word = level === 'info' ? '' : level === 'warn' ? 'warning: ' : 'error: ';
    const painted = color && level !== 'info' ? `${COLORS[level]}${word}${COLORS.reset}` : word;
    stream.write(`elt: ${painted}${message}\n`);
  };
  return {
    info: (message) => {
      if (!options.quiet) write('info', message);
    },
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Runs `step`, logging its name and duration; returns its result. A failure of the
 * database under it (the session ended, the server gone, out of disk) becomes one
 * line naming the step, exit code 3 (asDatabaseFailure).
 */
export async function timed<T>(log: Logger, name: string, step: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  let result: T;
  try {
    result = await step();
  } catch (err) {
    throw asDatabaseFailure(err, name) ?? err;
  }
  const ms = performance.now() - started;
  log.info(`${name} done in ${formatMs(ms)}`);
  return { result, ms };
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
