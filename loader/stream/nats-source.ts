import { randomBytes } from 'node:crypto';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  nanos,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  type QueuedIterator,
} from 'nats';
import { describeError, EltError, ExitCode } from '../../core/errors';
import type { Logger } from '../../core/log';
import { BrokerOutage } from './broker-outage';
import { parseNatsUri, type NatsStreamAddress } from './nats-uri';
import type { FetchLimits, StreamBatch, StreamMessage, StreamSource } from './stream-source';

/** How long an unreachable broker is tried at start before giving up with exit 8. */
const CONNECT_TIMEOUT_MS = 3000;
/** A consumer left by a killed process is removed by the server after this long unused. */
const CONSUMER_INACTIVE_MS = 10 * 60 * 1000;
/** An unacknowledged message is sent again after this long (it is then skipped: already committed, or re-read). */
const ACK_WAIT_MS = 60 * 1000;
/** The shortest pull request nats.js accepts. */
const MIN_FETCH_MS = 1000;
/**
 * What a delivered message carries beside its body (subject, reply subject, headers such
 * as the message id), which the broker counts in a pull request's byte limit: the limit is
 * at least the broker's largest body plus this, so that every stored message fits in a batch.
 */
const MESSAGE_OVERHEAD_BYTES = 64 * 1024;
/** The broker's largest body (max_payload) when it does not say: NATS's default. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

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

export interface NatsSourceOptions {
  /**
   * How long a broker that does not answer is waited for once the stream is open (each
   * request tried again, see BrokerOutage) before giving up with exit 8. 0 (the default):
   * a failed request fails at once (a one-shot question, as `elt status` asks).
   */
  brokerWaitMs?: number;
}

/**
 * Opens the JetStream stream at `nats://HOST:PORT/STREAM` as a StreamSource. The broker
 * unreachable, without JetStream, or the stream missing: an EltError with exit code 8.
 * The connection reconnects for ever after that; a broker restart mid-stream goes on
 * as long as it does not stay silent for longer than `brokerWaitMs`.
 */
export async function openNatsSource(uri: string, log: Logger, options: NatsSourceOptions = {}): Promise<NatsSource> {
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
    return new NatsSource(address, nc, jsm, nc.jetstream(), info.created, log, options.brokerWaitMs ?? 0);
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
 * that point (redeliveries) are acknowledged and skipped. Every request to the broker
 * (consumer create, info, delete, fetch, stream info) is tried again while the broker
 * does not answer, within the bound given (BrokerOutage); a fetch that came back empty
 * while the connection was down counts as failed, not as an idle stream.
 */
export class NatsSource implements StreamSource {
  readonly uri: string;
  readonly streamId: string;
  private consumerName: string | undefined;
  /** the pull request under way, ended at once when the connection is lost */
  private pulling: QueuedIterator<JsMsg> | undefined;
  /** the highest sequence handed out (or the position sought) */
  private position = 0;
  /** the delivery sequence the consumer's next message must carry */
  private expectedDelivery = 1;
  private mustSeek = true;
  private disconnected = false;
  /** how many times the connection was lost so far */
  private disconnects = 0;
  private readonly outage: BrokerOutage;

  constructor(
    private readonly address: NatsStreamAddress,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    created: string,
    private readonly log: Logger,
    brokerWaitMs: number,
  ) {
    this.uri = address.uri;
    this.streamId = `nats:${address.stream}@${created}`;
    this.outage = new BrokerOutage(address.uri, brokerWaitMs, log);
    void this.watchConnection();
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect' && !this.disconnected) {
        this.disconnected = true;
        this.disconnects += 1;
        this.log.warn(`${this.uri}: lost the connection to the NATS server; reconnecting`);
        // the pull request went with the connection: no wait for it to expire
        this.pulling?.stop();
      } else if (status.type === 'reconnect') {
        this.disconnected = false;
        this.log.info(`${this.uri}: reconnected`);
      }
    }
  }

  /** The consumer is (re)created by the next fetch, where a broker that does not answer is waited for. */
  async seek(seq: number): Promise<void> {
    this.position = seq;
    this.mustSeek = true;
  }

  /** (Re)creates this process's consumer so its first message is the one after `position`. */
  private async reposition(): Promise<void> {
    this.mustSeek = true;
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
    this.expectedDelivery = 1;
    this.mustSeek = false;
  }

  private async dropConsumer(): Promise<void> {
    const name = this.consumerName;
    this.consumerName = undefined;
    // unreachable, the broker removes it by itself (inactive_threshold)
    if (name && !this.disconnected) await this.jsm.consumers.delete(this.address.stream, name).catch(() => undefined);
  }

  /**
   * The byte limit of a pull request: `bytes`, or the broker's largest message when that is
   * larger (the broker never sends a message bigger than a request's limit, so a smaller
   * limit would stall the stream on it).
   */
  private byteLimit(bytes: number): number {
    return Math.max(bytes, (this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) + MESSAGE_OVERHEAD_BYTES);
  }

  async fetch(limits: FetchLimits, signal?: AbortSignal): Promise<StreamBatch> {
    const after = this.position;
    for (;;) {
      const messages: StreamMessage[] = [];
      if (signal?.aborted) return { after, last: after, messages };
      let last: JsMsg | undefined;
      const disconnects = this.disconnects;
      try {
        if (this.mustSeek || !this.consumerName) await this.reposition();
        if (signal?.aborted) return { after, last: after, messages };
        // the pull request with both limits: nats.js 2 marks JetStreamClient.fetch deprecated, but its Consumer.fetch takes a message or a byte limit, not both
        const batch = this.js.fetch(this.address.stream, this.consumerName as string, {
          batch: limits.messages,
          max_bytes: this.byteLimit(limits.bytes),
          expires: Math.max(MIN_FETCH_MS, limits.waitMs),
        });
        this.pulling = batch;
        const onAbort = () => batch.stop();
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await this.read(batch, messages, (message) => (last = message));
        } finally {
          this.pulling = undefined;
          signal?.removeEventListener('abort', onAbort);
        }
        // nothing came while the connection was down: the broker was silent, the stream not idle
        if (!last && !signal?.aborted && (this.disconnected || this.disconnects !== disconnects))
          throw new Error('the connection was lost during the fetch');
        this.outage.answered();
      } catch (err) {
        if (err instanceof EltError) throw err;
        // the broker restarting, the consumer lost with it, a pull cut off: read again from what we have
        this.mustSeek = true;
        if (!last && !signal?.aborted) {
          await this.outage.failed(`fetching after sequence ${this.position}`, err, signal);
          continue;
        }
      }
      const result: StreamBatch = { after, last: this.position, messages };
      if (last) toAcknowledge.set(result, last);
      return result;
    }
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
    try {
      toAcknowledge.get(batch)?.ack();
    } catch {
      // the connection closed: nothing to tell
    }
  }

  async lastSequence(signal?: AbortSignal): Promise<number> {
    const info = await this.outage.retry(
      "asking for the stream's last sequence",
      () => {
        // stopping, and the broker away: no wait for a request to time out
        if (signal?.aborted && this.disconnected) throw new Error('not connected to the NATS server');
        return this.jsm.streams.info(this.address.stream);
      },
      signal,
    );
    return info.state.last_seq;
  }

  async close(): Promise<void> {
    await this.dropConsumer();
    if (this.disconnected) await this.nc.close().catch(() => undefined);
    else await this.nc.drain().catch(() => this.nc.close());
  }
}
