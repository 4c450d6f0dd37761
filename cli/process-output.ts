import type { Writable } from 'node:stream';

/**
 * The process's stdout and stderr as the CLI's end of a pipe: whatever a command
 * wrote is written out before the process exits (a pipe takes writes asynchronously:
 * process.exit would drop what the reader had not read yet), and a reader that has
 * gone (`elt ... | head -1`: EPIPE) ends the command quietly instead of crashing it.
 */

/** Thrown by writeInTurn when stdout cannot take more: the reader has gone (EPIPE), or another write error. */
export class OutputClosedError extends Error {
  constructor(
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(code === 'EPIPE' ? 'the reader of stdout has gone' : `cannot write to stdout${code ? ` (${code})` : ''}`, options);
    this.name = 'OutputClosedError';
  }

  /** the reader closed the pipe (`| head`): a normal end, not an error */
  get readerLeft(): boolean {
    return this.code === 'EPIPE';
  }
}

/** The first error each stream had, so a command that did not watch its writes still ends right. */
const outputErrors = new WeakMap<NodeJS.WritableStream, Error & { code?: string }>();

/** The error stdout (or `stream`) had, as an OutputClosedError; undefined while it is fine. */
export function outputError(stream: NodeJS.WritableStream = process.stdout): OutputClosedError | undefined {
  const err = outputErrors.get(stream);
  return err ? new OutputClosedError(err.code, { cause: err }) : undefined;
}

/**
 * Keeps a write error on stdout or stderr (EPIPE when the reader has gone) from crashing
 * the process with a stack trace: it is remembered for outputError and writeInTurn.
 */
export function watchOutputErrors(streams: NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: Error & { code?: string }) => {
      if (!outputErrors.has(stream)) outputErrors.set(stream, err);
    });
  }
}

/** stream.destroyed and writableNeedDrain, for any NodeJS.WritableStream (a net.Socket, a file, a test's PassThrough) */
const state = (stream: NodeJS.WritableStream) => stream as Partial<Pick<Writable, 'destroyed' | 'writableNeedDrain' | 'writableLength'>>;

/**
 * Writes `text` and, when the stream's buffer is full, waits until the reader has taken it
 * (backpressure: memory stays flat however fast the rows come). Throws OutputClosedError when
 * the stream failed (the reader has gone), and `signal`'s reason when it aborts first.
 */
export async function writeInTurn(stream: NodeJS.WritableStream, text: string, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const failed = () => outputErrors.get(stream) ?? (state(stream).destroyed ? new Error('stdout was closed') : undefined);
  const early = failed();
  if (early) throw new OutputClosedError((early as { code?: string }).code, { cause: early });
  if (stream.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: unknown) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = () => done();
    const onError = (err: Error & { code?: string }) => done(new OutputClosedError(err.code, { cause: err }));
    const onClose = () => {
      const err = failed();
      done(new OutputClosedError((err as { code?: string } | undefined)?.code, { cause: err }));
    };
    const onAbort = () => done(signal?.reason);
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles when everything written to `stream` so far is written out (or the stream failed: nothing more can be). */
function writtenOut(stream: NodeJS.WritableStream): Promise<void> {
  const { destroyed, writableLength } = state(stream);
  if (destroyed || writableLength === 0) return Promise.resolve();
  // an empty write's callback runs after every write before it (or with the stream's error)
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/**
 * Exits with `code` once stdout and stderr are written out: in a pipe, a file or a
 * terminal, the reader gets all that the command printed.
 */
export function exitWhenWritten(code: number): void {
  void Promise.all([writtenOut(process.stdout), writtenOut(process.stderr)]).then(() => process.exit(code));
}
