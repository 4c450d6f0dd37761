import { randomBytes } from 'node:crypto';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  nanos,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import { describeError, EltError, ExitCode } from '../../core/errors';
import type { Logger } from '../../core/log';
import { parseNatsUri, type NatsStreamAddress } from './nats-uri';
import type { StreamBatch, StreamMessage, StreamSource } from './stream-source';

/** How long an unreachable broker is tried at start before giving up with exit 8. */
const CONNECT_TIMEOUT_MS = 3000;
/** A consumer left by a killed process is removed by the server after this long unused. */
const CONSUMER_INACTIVE_MS = 10 * 60 * 1000;
/** An unacknowledged message is sent again after this long (it is then skipped: already committed, or re-read). */
const ACK_WAIT_MS = 60 * 1000;
/** The shortest pull request nats.js accepts. */
const MIN_FETCH_MS = 1000;

/** JetStream's API error code for a stream that does not exist. */
const STREAM_NOT_FOUND = 10059;

function apiErrorCode(err: unknown): number | undefined {
  const api = (err as { api_error?: { err_code?: number } } | undefined)?.api_error;
  return api?.err_code;
}

/** True when the stream is gone, as the broker says it. */
function isStreamNotFound(err: unknown): boolean {
  return apiErrorCode(err) === STREAM_NOT_FOUND || /stream not found/i.test(describeError(err));
}

const unavailable = (message: string, cause?: unknown) => new EltError(message, ExitCode.streamUnavailable, { cause });

/**
 * Opens the JetStream stream at `nats://HOST:PORT/STREAM` as a StreamSource. The broker
 * unreachable, without JetStream, or the stream missing: an EltError with exit code 8.
 * The connection reconnects for ever after that (a broker restart mid-stream goes on).
 */
export async function openNatsSource(uri: string, log: Logger): Promise<NatsSource> {
  const address = parseNatsUri(uri);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: address.server,
      name: 'elt stream',
      timeout: CONNECT_TIMEOUT_MS,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: false,
    });
  } catch (err) {
    throw unavailable(`cannot reach the NATS server ${address.server} (${address.uri}): ${describeError(err)}`, err);
  }
  try {
    const jsm = await nc.jetstreamManager({ timeout: CONNECT_TIMEOUT_MS });
    const info = await jsm.streams.info(address.stream).catch((err: unknown) => {
      if (isStreamNotFound(err)) throw unavailable(`${address.uri}: the stream ${address.stream} does not exist on ${address.server}`, err);
      throw err;
    });
    return new NatsSource(address, nc, jsm, nc.jetstream(), info.created, log);
  } catch (err) {
    await nc.close().catch(() => undefined);
    if (err instanceof EltError) throw err;
    throw unavailable(`${address.uri}: no JetStream there: ${describeError(err)}`, err);
  }
}

/** What a fetched batch needs acknowledged: the last message (the consumer acknowledges all before it). */
const toAcknowledge = new WeakMap<StreamBatch, JsMsg>();

/**
 * A JetStream stream read through a durable pull consumer of this process's own
 * (`elt_<random>`, durable so it outlives a broker restart, removed on close and by
 * the server after 10 minutes unused if the process dies), created at the position
 * the ledger gives (deliver policy by start sequence). It tracks the consumer's
 * delivery sequence: a jump (messages delivered that never arrived, e.g. cut off by a
 * broker restart) or any fetch failure makes it create the consumer again after the
 * last message it handed out, so no message is ever left out. Messages at or before
 * that point (redeliveries) are acknowledged and skipped.
 */
export class NatsSource implements StreamSource {
  readonly uri: string;
  readonly streamId: string;
  private consumer: Consumer | undefined;
  private consumerName: string | undefined;
  /** the highest sequence handed out (or the position sought) */
  private position = 0;
  /** the delivery sequence the consumer's next message must carry */
  private expectedDelivery = 1;
  private mustSeek = true;
  private disconnected = false;

  constructor(
    private readonly address: NatsStreamAddress,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    created: string,
    private readonly log: Logger,
  ) {
    this.uri = address.uri;
    this.streamId = `nats:${address.stream}@${created}`;
    void this.watchConnection();
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect' && !this.disconnected) {
        this.disconnected = true;
        this.log.warn(`${this.uri}: lost the connection to the NATS server; reconnecting`);
      } else if (status.type === 'reconnect') {
        this.disconnected = false;
        this.log.info(`${this.uri}: reconnected`);
      }
    }
  }

  async seek(seq: number): Promise<void> {
    this.position = seq;
    this.mustSeek = true;
    await this.reposition();
  }

  /** (Re)creates this process's consumer so its first message is the one after `position`. */
  private async reposition(): Promise<void> {
    await this.dropConsumer();
    const name = `elt_${randomBytes(6).toString('hex')}`;
    try {
      await this.jsm.consumers.add(this.address.stream, {
        durable_name: name,
        name,
        ack_policy: AckPolicy.All,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: this.position + 1,
        ack_wait: nanos(ACK_WAIT_MS),
        max_ack_pending: -1,
        inactive_threshold: nanos(CONSUMER_INACTIVE_MS),
      });
    } catch (err) {
      if (isStreamNotFound(err)) throw unavailable(`${this.uri}: the stream ${this.address.stream} does not exist any more`, err);
      throw err;
    }
    this.consumerName = name;
    this.consumer = await this.js.consumers.get(this.address.stream, name);
    this.expectedDelivery = 1;
    this.mustSeek = false;
  }

  private async dropConsumer(): Promise<void> {
    const name = this.consumerName;
    this.consumer = undefined;
    this.consumerName = undefined;
    if (name) await this.jsm.consumers.delete(this.address.stream, name).catch(() => undefined);
  }

  async fetch(max: number, maxWaitMs: number, signal?: AbortSignal): Promise<StreamBatch> {
    const after = this.position;
    const messages: StreamMessage[] = [];
    let last: JsMsg | undefined;
    try {
      if (this.mustSeek || !this.consumer) await this.reposition();
      const consumer = this.consumer as Consumer;
      if (signal?.aborted) return { after, last: after, messages };
      const batch = await consumer.fetch({ max_messages: max, expires: Math.max(MIN_FETCH_MS, maxWaitMs) });
      const onAbort = () => void batch.close().catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await this.read(batch, messages, (message) => (last = message));
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } catch (err) {
      if (err instanceof EltError) throw err;
      // the broker restarting, the consumer lost with it, a pull cut off: read again from what we have
      this.mustSeek = true;
      if (!this.disconnected) this.log.warn(`${this.uri}: fetching failed (${describeError(err)}); reading again after sequence ${this.position}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const result: StreamBatch = { after, last: this.position, messages };
    if (last) toAcknowledge.set(result, last);
    return result;
  }

  /** Takes the fetched messages in order, up to the first that breaks the consumer's delivery sequence. */
  private async read(batch: AsyncIterable<JsMsg>, messages: StreamMessage[], taken: (message: JsMsg) => void): Promise<void> {
    for await (const message of batch) {
      if (message.info.deliverySequence !== this.expectedDelivery) {
        // delivered messages we never saw (or the consumer's state went back): read again from what we have
        this.mustSeek = true;
        break;
      }
      this.expectedDelivery += 1;
      taken(message);
      if (message.seq <= this.position) continue; // sent again: already handed out
      messages.push({ seq: message.seq, data: Buffer.from(message.data) });
      this.position = message.seq;
    }
  }

  async ack(batch: StreamBatch): Promise<void> {
    // a lost acknowledgement only means the message comes again, and is skipped then
    toAcknowledge.get(batch)?.ack();
  }

  async lastSequence(): Promise<number> {
    const info = await this.jsm.streams.info(this.address.stream);
    return info.state.last_seq;
  }

  async close(): Promise<void> {
    await this.dropConsumer();
    await this.nc.drain().catch(() => this.nc.close());
  }
}
