import type { Logger } from '../core/log';

export interface Progress {
  /** a Logger that keeps log lines and the progress line from overwriting each other */
  log: Logger;
  bytesRead(bytes: number): void;
  objectDone(rows: number): void;
  stop(): void;
}

const MB = 1024 * 1024;
const number = (value: number) => Math.round(value).toLocaleString('en-US');

/**
 * Reports a load's progress (objects done, bytes read, rows/s): on a terminal as
 * one line redrawn in place, otherwise as a plain log line every `intervalMs`.
 */
export function createProgress(options: {
  log: Logger;
  totalObjects: number;
  totalBytes: number;
  stream?: NodeJS.WriteStream;
  intervalMs?: number;
}): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const started = performance.now();
  let bytes = 0;
  let rows = 0;
  let objects = 0;
  let shown = false;

  const line = () => {
    const seconds = Math.max((performance.now() - started) / 1000, 0.001);
    return (
      `[${objects}/${options.totalObjects} objects] ${(bytes / MB).toFixed(1)} of ${(options.totalBytes / MB).toFixed(1)} MB, ` +
      `${number(rows)} rows, ${number(rows / seconds)} rows/s, ${(bytes / MB / seconds).toFixed(1)} MB/s`
    );
  };
  const clear = () => {
    if (tty && shown) stream.write('\r\x1b[K');
    shown = false;
  };
  const draw = () => {
    if (tty) {
      stream.write(`\r\x1b[K${line()}`);
      shown = true;
    } else {
      options.log.info(`progress: ${line()}`);
    }
  };
  const timer = setInterval(draw, options.intervalMs ?? (tty ? 200 : 10_000));
  timer.unref();

  const around = (write: (message: string) => void) => (message: string) => {
    clear();
    write(message);
  };
  return {
    log: { info: around(options.log.info), warn: around(options.log.warn), error: around(options.log.error) },
    bytesRead: (count) => {
      bytes += count;
    },
    objectDone: (count) => {
      objects += 1;
      rows += count;
    },
    stop: () => {
      clearInterval(timer);
      clear();
    },
  };
}
