/**
 * Logs go to stderr (data and summaries go to stdout). Each line says what
 * happened; steps report how long they took.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(stream: NodeJS.WritableStream = process.stderr, quiet = false): Logger {
  const write = (level: string, message: string): void => {
    stream.write(`elt: ${level}${message}\n`);
  };
  return {
    info: (message) => {
      if (!quiet) write('', message);
    },
    warn: (message) => write('warning: ', message),
    error: (message) => write('error: ', message),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Runs `step`, logging its name and duration; returns its result. */
export async function timed<T>(log: Logger, name: string, step: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await step();
  const ms = performance.now() - started;
  log.info(`${name} done in ${formatMs(ms)}`);
  return { result, ms };
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
