import { parseMessages, type MessageParser, type ParsedMessages } from './parse-messages';
import type { FetchLimits, StreamBatch, StreamSource } from './stream-source';

/** A fetched batch, parsed, ready to commit. */
export interface ReadyBatch {
  batch: StreamBatch;
  parsed: ParsedMessages;
  /** the batch reached a limit (messages or bytes): more was probably waiting */
  full: boolean;
}

/**
 * Fetches and parses the next batch while the caller commits the one before it, so the
 * broker, the parse and Postgres work at once. At most one batch is fetched ahead, so at
 * most two are in memory (the one committing and the next), each within `limits`. A batch
 * fetched ahead is neither committed nor acknowledged until the caller takes it: dropped
 * (a seek, a stop, a crash), its messages are sent again, and the ledger's position says
 * which of them are loaded.
 */
export class BatchPrefetcher {
  private ahead: Promise<ReadyBatch> | undefined;
  /** ends the fetch under way when the batch fetched ahead is dropped */
  private dropping = new AbortController();

  constructor(
    private readonly source: StreamSource,
    private readonly parser: MessageParser,
    private readonly limits: FetchLimits,
    private readonly signal: AbortSignal,
  ) {}

  /** The next batch (the one fetched ahead, else fetched now); the fetch of the one after it starts at once, unless stopping. */
  async next(): Promise<ReadyBatch> {
    const ready = await (this.ahead ?? this.fetch());
    this.ahead = undefined;
    if (!this.signal.aborted) {
      const ahead = this.fetch();
      // a failure is the caller's when it takes the batch, not an unhandled rejection meanwhile
      ahead.catch(() => undefined);
      this.ahead = ahead;
    }
    return ready;
  }

  /** Forgets the batch fetched ahead, its fetch ended at once (with no wait for more messages) and settled, so the source may seek. */
  async drop(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (!ahead) return;
    this.dropping.abort();
    await ahead.catch(() => undefined);
    this.dropping = new AbortController();
  }

  private async fetch(): Promise<ReadyBatch> {
    const batch = await this.source.fetch(this.limits, AbortSignal.any([this.signal, this.dropping.signal]));
    const bytes = batch.messages.reduce((sum, message) => sum + message.data.length, 0);
    return {
      batch,
      parsed: parseMessages(batch.messages, this.parser),
      full: batch.messages.length >= this.limits.messages || bytes >= this.limits.bytes,
    };
  }
}
