import type { Logger } from '../../core/log';

/** What the progress line shows of a running stream. */
export interface StreamProgressState {
  batches: number;
  rows: number;
  rejects: number;
  /** the committed position */
  position: number;
  /** events per second over the last few seconds */
  eventsPerSec: number;
  /** messages in the stream past the position; undefined: the broker has not said yet */
  lag: number | undefined;
}

export interface StreamProgress {
  /** true when the progress is a line redrawn on a terminal (the periodic log lines are then not needed) */
  readonly tty: boolean;
  /** a Logger that keeps log lines and the progress line from overwriting each other */
  log: Logger;
  /** after each committed batch: the totals so far */
  update(totals: { batches: number; rows: number; rejects: number; position: number }): void;
  stop(): void;
}

const number = (value: number) => Math.round(value).toLocaleString('en-US');
/** The events/s shown are over this window, so that they fall back when the stream goes quiet. */
const RATE_WINDOW_MS = 5000;
/** The broker is asked the stream's last sequence (for the lag) at most this often. */
const LAG_EVERY_MS = 1000;

export function formatStreamProgress(uri: string, state: StreamProgressState): string {
  return (
    `${uri}: ${number(state.eventsPerSec)} events/s, ${number(state.batches)} batches, ${number(state.rows)} events, ` +
    `${number(state.rejects)} rejected; position ${state.position}, lag ${state.lag === undefined ? '?' : number(state.lag)}`
  );
}

/**
 * A running stream's progress on a terminal: one line redrawn in place (events/s,
 * batches, position, lag). Without a terminal it draws nothing (the consumer logs
 * a progress line every few seconds instead) and its log is the one it was given.
 */
export function createStreamProgress(options: {
  log: Logger;
  uri: string;
  /** the stream's last sequence, asked of the broker (for the lag) */
  lastSequence: () => Promise<number>;
  stream?: NodeJS.WriteStream;
  intervalMs?: number;
}): StreamProgress {
  const stream = options.stream ?? process.stderr;
  // JSON log lines are events: never a line redrawn among them
  const tty = stream.isTTY === true && options.log.json !== true;
  const noop = () => undefined;
  if (!tty) return { tty, log: options.log, update: noop, stop: noop };

  let totals = { batches: 0, rows: 0, rejects: 0, position: 0 };
  let lastSeq: number | undefined;
  let asking = false;
  let askedAt = -Infinity;
  let shown = false;
  const samples: { at: number; rows: number }[] = [{ at: performance.now(), rows: 0 }];

  const askLag = () => {
    if (asking || performance.now() - askedAt < LAG_EVERY_MS) return;
    asking = true;
    askedAt = performance.now();
    options.lastSequence().then(
      (seq) => {
        lastSeq = seq;
        asking = false;
      },
      () => {
        lastSeq = undefined; // the broker does not answer (a restart): the lag is unknown
        asking = false;
      },
    );
  };
  const eventsPerSec = (now: number) => {
    samples.push({ at: now, rows: totals.rows });
    while (samples.length > 2 && (samples[1]?.at ?? now) <= now - RATE_WINDOW_MS) samples.shift();
    const first = samples[0] ?? { at: now, rows: totals.rows };
    return now - first.at > 0 ? ((totals.rows - first.rows) * 1000) / (now - first.at) : 0;
  };
  const clear = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  const draw = () => {
    askLag();
    const lag = lastSeq === undefined ? undefined : Math.max(0, lastSeq - totals.position);
    stream.write(`\r\x1b[K${formatStreamProgress(options.uri, { ...totals, eventsPerSec: eventsPerSec(performance.now()), lag })}`);
    shown = true;
  };
  const timer = setInterval(draw, options.intervalMs ?? 200);
  timer.unref();
  const around =
    (write: Logger['info']): Logger['info'] =>
    (message, fields) => {
      clear();
      write(message, fields);
    };
  return {
    tty,
    log: { info: around(options.log.info), warn: around(options.log.warn), error: around(options.log.error) },
    update: (next) => {
      totals = { ...next };
    },
    stop: () => {
      clearInterval(timer);
      clear();
    },
  };
}
