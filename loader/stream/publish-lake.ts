import { basename } from 'node:path';
import { createGunzip } from 'node:zlib';
import { connect, nanos, type JetStreamClient, type NatsConnection, type PubAck } from 'nats';
import { describeError, EltError, ExitCode } from '../../core/errors';
import type { Logger } from '../../core/log';
import { LAKE_COLUMNS } from '../formats/tsv-lake';
import { isBlank } from '../stages/record-buffer';
import { listLocalObjects } from '../sources/local-source';
import { parseNatsUri } from './nats-uri';
import type { StreamFormat } from './parse-messages';

export interface PublishOptions {
  format: StreamFormat;
  /** create the stream (subject `<STREAM>.events`) when it does not exist */
  createStream: boolean;
  log: Logger;
  signal?: AbortSignal;
}

export interface PublishReport {
  uri: string;
  subject: string;
  files: number;
  /** messages the stream stored */
  published: number;
  /** messages the stream already held under the same message id (a re-send) */
  duplicates: number;
  /** the stream's sequence of the last message */
  lastSeq: number;
}

/** How many publishes wait for their acknowledgement at once (they keep their order on one connection). */
const IN_FLIGHT = 8192;
/** How long the stream remembers message ids to drop a re-send (JetStream's default is 2 minutes). */
const DUPLICATE_WINDOW_MS = 24 * 60 * 60 * 1000;
const STREAM_NOT_FOUND = 10059;

/** Lines as the loader splits them, byte for byte: at `\n`, a `\r` before it dropped (a lone `\r` stays in the line). */
async function* splitLines(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  const line = (bytes: Buffer) => (bytes.at(-1) === 0x0d ? bytes.subarray(0, -1) : bytes);
  for await (const chunk of input) {
    rest = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let end = rest.indexOf(0x0a); end >= 0; end = rest.indexOf(0x0a, start)) {
      yield line(rest.subarray(start, end));
      start = end + 1;
    }
    rest = Buffer.from(rest.subarray(start));
  }
  if (rest.length > 0) yield line(rest);
}

/**
 * The data lines of a lake file in the standard column order (LAKE_COLUMNS), with
 * their line numbers (the header is line 1); blank lines are left out.
 */
async function* lakeLines(
  open: () => Promise<NodeJS.ReadableStream & AsyncIterable<Buffer>>,
  gzip: boolean,
  format: StreamFormat,
): AsyncGenerator<{ no: number; bytes: Buffer }> {
  const raw = await open();
  const input: AsyncIterable<Buffer> = gzip ? raw.pipe(createGunzip()) : raw;
  let no = 0;
  let order: number[] | undefined;
  for await (const bytes of splitLines(input)) {
    no += 1;
    if (format === 'tsv-lake' && no === 1) {
      const columns = bytes
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .split('\t');
      if (
        columns.join('\t') !== LAKE_COLUMNS.join('\t') &&
        LAKE_COLUMNS.every((name) => columns.includes(name)) &&
        columns.length === LAKE_COLUMNS.length
      ) {
        order = LAKE_COLUMNS.map((name) => columns.indexOf(name));
      }
      continue;
    }
    if (isBlank(bytes)) continue;
    const fields = order ? bytes.toString('utf8').split('\t') : [];
    // a file with the columns in another order: its lines in the standard order (a line of another shape as it is)
    yield { no, bytes: order && fields.length === order.length ? Buffer.from(order.map((index) => fields[index]).join('\t'), 'utf8') : bytes };
  }
}

/** The subject to publish on: the stream's first subject, a wildcard in it replaced by `events`. */
function publishSubject(subjects: string[] | undefined, stream: string): string {
  const first = subjects?.[0];
  if (!first) throw new EltError(`the stream ${stream} has no subjects to publish on`, ExitCode.usage);
  return first
    .split('.')
    .map((token) => (token === '*' || token === '>' ? 'events' : token))
    .join('.');
}

/**
 * Publishes a lake folder's data lines (tsv-lake) or an NDJSON folder's objects to a
 * JetStream stream, one message per line with the message id `<file name>:<line no>`,
 * so that sending the same files again is dropped by the server (Nats-Msg-Id).
 */
export async function publishLake(source: string, target: string, options: PublishOptions): Promise<PublishReport> {
  const address = parseNatsUri(target);
  const objects = listLocalObjects(source, options.format);
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: address.server, name: 'elt publish', timeout: 3000 });
  } catch (err) {
    throw new EltError(`cannot reach the NATS server ${address.server} (${address.uri}): ${describeError(err)}`, ExitCode.streamUnavailable, {
      cause: err,
    });
  }
  try {
    const jsm = await nc.jetstreamManager({ timeout: 3000 }).catch((err: unknown) => {
      throw new EltError(`${address.uri}: no JetStream there: ${describeError(err)}`, ExitCode.streamUnavailable, { cause: err });
    });
    let subjects: string[] | undefined;
    try {
      subjects = (await jsm.streams.info(address.stream)).config.subjects;
    } catch (err) {
      const code = (err as { api_error?: { err_code?: number } }).api_error?.err_code;
      if (code !== STREAM_NOT_FOUND) throw err;
      if (!options.createStream) {
        throw new EltError(
          `${address.uri}: the stream ${address.stream} does not exist (pass --create-stream to create it)`,
          ExitCode.streamUnavailable,
          { cause: err },
        );
      }
      subjects = [`${address.stream}.events`];
      await jsm.streams.add({ name: address.stream, subjects, duplicate_window: nanos(DUPLICATE_WINDOW_MS) });
      options.log.info(`created the stream ${address.stream} (subject ${subjects[0]}) on ${address.server}`);
    }
    const subject = publishSubject(subjects, address.stream);
    const report: PublishReport = { uri: address.uri, subject, files: objects.length, published: 0, duplicates: 0, lastSeq: 0 };
    await publishObjects(nc.jetstream(), subject, objects, options, report);
    return report;
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}

async function publishObjects(
  js: JetStreamClient,
  subject: string,
  objects: ReturnType<typeof listLocalObjects>,
  options: PublishOptions,
  report: PublishReport,
): Promise<void> {
  const pending: Promise<void>[] = [];
  const settle = (ack: PubAck) => {
    if (ack.duplicate) report.duplicates += 1;
    else report.published += 1;
    report.lastSeq = Math.max(report.lastSeq, ack.seq);
  };
  for (const object of objects) {
    const name = basename(new URL(object.uri).pathname);
    for await (const line of lakeLines(() => object.open(), object.gzip, options.format)) {
      options.signal?.throwIfAborted();
      pending.push(
        // the message id (Nats-Msg-Id): a re-send of this line within the duplicate window is dropped by the server
        js.publish(subject, line.bytes, { msgID: `${name}:${line.no}` }).then(settle, (err: unknown) => {
          throw new EltError(`publishing ${name} line ${line.no} to ${subject} failed: ${describeError(err)}`, ExitCode.streamUnavailable, {
            cause: err,
          });
        }),
      );
      if (pending.length >= IN_FLIGHT) await Promise.all(pending.splice(0, pending.length));
    }
  }
  await Promise.all(pending);
}
