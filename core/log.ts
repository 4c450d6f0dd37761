import { asDatabaseFailure } from './database-errors';
import { resolveSetting } from './settings/resolve-settings';

/**
 * Logs go to stderr (data and summaries go to stdout). Each line says what
 * happened; steps report how long they took. Human lines by default (coloured
 * only on a terminal, never with a non-empty NO_COLOR); `--log-format json` gives one JSON
 * object per line for machines: time, level, invocation_id, step, message and the
 * event's fields (object, model, rows, rejected, ms, ...), which human lines leave out.
 */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** true when each line is a JSON event: a progress line is then an event, never a line redrawn in place */
  readonly json?: boolean;
}

/** The numbers and names of a log event, as JSON keys (snake_case); undefined ones are left out. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export type LogFormat = 'human' | 'json';

export interface LoggerOptions {
  format?: LogFormat;
  /** colour the level words; default: stream is a terminal and NO_COLOR is unset or empty */
  color?: boolean;
  quiet?: boolean;
  /** fields of every JSON line: the command's invocation_id and its step (a step's own logger names its step, forStep) */
  context?: LogFields;
}

const COLORS = { warn: '\x1b[33m', error: '\x1b[31m', reset: '\x1b[0m' } as const;

/** Whether colours are wanted on `stream`: a terminal, unless NO_COLOR is set to a non-empty value (https://no-color.org) or TERM=dumb. */
export function wantsColor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const noColor = resolveSetting('noColor', { env });
  return (stream as NodeJS.WriteStream).isTTY === true && !noColor && env.TERM !== 'dumb';
}

export function createLogger(stream: NodeJS.WritableStream = process.stderr, options: LoggerOptions = {}): Logger {
  const color = options.color ?? wantsColor(stream);
  const context = options.context ?? {};
  const write = (level: 'info' | 'warn' | 'error', message: string, fields?: LogFields): void => {
    if (options.format === 'json') {
      const time = new Date().toISOString();
      const line: Record<string, unknown> = { time, level, ...context, ...fields, message };
      // what the logger says wins over what an event says (a field named level, message, ...)
      Object.assign(line, { time, level, message });
      if (context.invocation_id !== undefined) line.invocation_id = context.invocation_id;
      stream.write(`${JSON.stringify(line)}\n`);
      return;
    }
    const word = level === 'info' ? '' : level === 'warn' ? 'warning: ' : 'error: ';
    const painted = color && level !== 'info' ? `${COLORS[level]}${word}${COLORS.reset}` : word;
    stream.write(`elt: ${painted}${message}\n`);
  };
  return {
    info: (message, fields) => {
      if (!options.quiet) write('info', message, fields);
    },
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    json: options.format === 'json',
  };
}

/** `log` with `fields` added to every line (an event's own fields win). */
export function withFields(log: Logger, fields: LogFields): Logger {
  return {
    info: (message, own) => log.info(message, { ...fields, ...own }),
    warn: (message, own) => log.warn(message, { ...fields, ...own }),
    error: (message, own) => log.error(message, { ...fields, ...own }),
    json: log.json === true,
  };
}

/** The logger of one step of a command (load, build, refresh, test, ...): `step` on every line. */
export const forStep = (log: Logger, step: string): Logger => withFields(log, { step });

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
  log.info(`${name} done in ${formatMs(ms)}`, { step: name, event: 'step_done', ms: Math.round(ms) });
  return { result, ms };
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
