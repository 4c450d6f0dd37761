/**
 * What `elt stream` needs of a message stream, whatever the broker (NATS JetStream
 * today; a Kafka partition or a Kinesis shard would fit the same shape): messages
 * numbered by a sequence that only grows, read from a position, acknowledged once
 * their batch is committed. The position that counts is the ledger's (raw.loads),
 * never the broker's: the source is told where to start, and its acknowledgements
 * only let the broker forget what is safely loaded.
 */
export interface StreamMessage {
  /** the stream sequence: unique in the stream, growing, possibly with gaps (deleted messages) */
  seq: number;
  data: Buffer;
}

export interface StreamBatch {
  /** the position the batch follows: every message of the stream after it and up to `last` is in `messages` */
  after: number;
  /** the highest sequence the batch covers (the next batch follows it) */
  last: number;
  /** the messages after `after`, in sequence order, none left out */
  messages: StreamMessage[];
}

/** How big a batch may be, and how long a fetch waits to fill it. */
export interface FetchLimits {
  messages: number;
  bytes: number;
  waitMs: number;
}

export interface StreamSource {
  /** the stream as a URI, for the ledger and messages: nats://host:port/STREAM */
  readonly uri: string;
  /**
   * What the positions refer to: the stream's identity (broker kind, name and
   * creation time), so a stream deleted and made again is a new stream.
   */
  readonly streamId: string;
  /** The next fetch returns the first message after `seq` (0: from the start). */
  seek(seq: number): Promise<void>;
  /**
   * The messages after the position, in order, up to `limits.messages` of them and
   * `limits.bytes` of their bodies (at least one message, whatever its size), waiting at
   * most `limits.waitMs` for them; an empty batch when none came. Never leaves one out:
   * when the broker may have lost some in flight, the source repositions itself. An
   * abort of `signal` ends the wait at once, with what has come. Not called again
   * before the last call has settled.
   */
  fetch(limits: FetchLimits, signal?: AbortSignal): Promise<StreamBatch>;
  /** Tells the broker the batch is committed (a lost acknowledgement is harmless). */
  ack(batch: StreamBatch): Promise<void>;
  /**
   * The stream's last sequence now (0 when empty): the lag is this minus the committed
   * position. Once `signal` aborts, a broker that does not answer is not waited for.
   */
  lastSequence(signal?: AbortSignal): Promise<number>;
  close(): Promise<void>;
}
