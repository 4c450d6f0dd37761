import type { LogFields, Logger } from '../core/log';

/** One attempt at loading an object: what it reads and streams counts at once, and is taken back when it ends. */
export interface ProgressAttempt {
  /** told of every chunk of (compressed) bytes read */
  bytesRead(count: number): void;
  /** told of the rows sent to COPY, before they commit */
  rowsStreamed(count: number): void;
  /** the attempt is over (loaded, skipped or failed): its figures are taken back; objectDone counts the object's */
  end(): void;
}

export interface Progress {
  /** a Logger that keeps log lines and the progress line from overwriting each other */
  log: Logger;
  attempt(): ProgressAttempt;
  /** an object is done: its committed rows, and its listed size as read (a skipped object counts as read too) */
  objectDone(rows: number, size: number): void;
  stop(): void;
}

const MB = 1024 * 1024;
const number = (value: number) => Math.round(value).toLocaleString('en-US');

/** A time left, as people say it: 45s, 3m 20s, 2h 05m. */
export function formatTimeLeft(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Reports a load's progress: objects done, bytes of the objects' listed size (with a
 * percentage), rows as they stream (before their object commits), rows/s, MB/s and,
 * once anything was read, an estimate of the time left. On a terminal it is one line
 * redrawn in place; otherwise a plain log line every `intervalMs`; with a JSON logger,
 * an event (`event: progress`) with the numbers, never a line redrawn.
 */
export function createProgress(options: {
  log: Logger;
  totalObjects: number;
  totalBytes: number;
  stream?: NodeJS.WriteStream;
  intervalMs?: number;
  /** the clock, in ms (default performance.now): a test moves its own */
  now?: () => number;
}): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true && options.log.json !== true;
  const now = options.now ?? (() => performance.now());
  const started = now();
  // the figures of the objects done, of the attempts in flight, and every byte read (for the rates)
  const done = { objects: 0, bytes: 0, rows: 0 };
  const inFlight = { bytes: 0, rows: 0 };
  let read = 0;
  let shown = false;

  const figures = (): LogFields => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const bytes = done.bytes + inFlight.bytes;
    const rows = done.rows + inFlight.rows;
    const share = options.totalBytes > 0 ? bytes / options.totalBytes : options.totalObjects > 0 ? done.objects / options.totalObjects : 1;
    const rate = read / seconds;
    return {
      event: 'progress',
      objects_done: done.objects,
      objects_total: options.totalObjects,
      bytes,
      bytes_total: options.totalBytes,
      percent: Math.round(Math.min(share, 1) * 1000) / 10,
      rows,
      rows_per_s: Math.round(rows / seconds),
      // unknown until something was read: a rate of nothing says nothing of what is left
      eta_s: read > 0 ? Math.round(Math.max(options.totalBytes - bytes, 0) / rate) : undefined,
    };
  };
  const line = (event: LogFields) => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const bytes = event.bytes as number;
    const left = event.eta_s === undefined ? '' : `, about ${formatTimeLeft(event.eta_s as number)} left`;
    return (
      `[${done.objects}/${options.totalObjects} objects] ${(bytes / MB).toFixed(1)} of ${(options.totalBytes / MB).toFixed(1)} MB ` +
      `(${Math.round(event.percent as number)}%), ${number(event.rows as number)} rows, ${number(event.rows_per_s as number)} rows/s, ` +
      `${(read / MB / seconds).toFixed(1)} MB/s${left}`
    );
  };
  const clear = () => {
    if (tty && shown) stream.write('\r\x1b[K');
    shown = false;
  };
  const draw = () => {
    const event = figures();
    if (tty) {
      stream.write(`\r\x1b[K${line(event)}`);
      shown = true;
    } else {
      options.log.info(`progress: ${line(event)}`, event);
    }
  };
  const timer = setInterval(draw, options.intervalMs ?? (tty ? 200 : 10_000));
  timer.unref();

  const around =
    (write: Logger['info']): Logger['info'] =>
    (message, fields) => {
      clear();
      write(message, fields);
    };
  return {
    log: { info: around(options.log.info), warn: around(options.log.warn), error: around(options.log.error), json: options.log.json === true },
    attempt: () => {
      let bytes = 0;
      let rows = 0;
      let ended = false;
      return {
        bytesRead: (count) => {
          if (ended) return;
          bytes += count;
          read += count;
          inFlight.bytes += count;
        },
        rowsStreamed: (count) => {
          if (ended) return;
          rows += count;
          inFlight.rows += count;
        },
        end: () => {
          if (ended) return;
          ended = true;
          inFlight.bytes -= bytes;
          inFlight.rows -= rows;
        },
      };
    },
    objectDone: (rows, size) => {
      done.objects += 1;
      done.rows += rows;
      done.bytes += size;
    },
    stop: () => {
      clearInterval(timer);
      clear();
    },
  };
}
