import type { Pool } from 'pg';
import { formatMs, type Logger } from '../../core/log';
import { messageParserFor, type StreamFormat } from './parse-messages';
import { BatchPrefetcher } from './prefetch-batches';
import { commitBatch, committedPosition } from './stream-ledger';
import type { StreamSource } from './stream-source';

/** With --until-idle, this many empty fetches in a row end the run even short of the stream's last sequence. */
const IDLE_EMPTY_FETCHES = 3;

export interface ConsumeOptions {
  format: StreamFormat;
  /** the most messages in one batch (one transaction) */
  maxEvents: number;
  /** the most bytes of message bodies in one batch (raised to the broker's largest message) */
  maxBatchBytes: number;
  /** how long a fetch waits for messages before the batch is committed with what came */
  maxWaitMs: number;
  /** how often the marts are refreshed while batches keep coming (only when some committed since) */
  refreshEveryMs: number;
  /** stop once the stream holds nothing more (refreshing once): for CI and one-shot jobs */
  untilIdle: boolean;
  /** aborted (SIGINT, SIGTERM): no further fetch; the batch in hand is committed, the marts refreshed */
  signal: AbortSignal;
  log: Logger;
  /** brings the incremental models and the marts up to date (elt.refresh_marts()) */
  refresh: () => Promise<void>;
  /** how often a progress line is logged (Infinity: never, as when a progress line is drawn on a terminal) */
  progressEveryMs?: number;
  /** after each batch: the totals so far (for a progress line) */
  onProgress?: (totals: { batches: number; rows: number; rejects: number; position: number }) => void;
}

export interface ConsumeReport {
  uri: string;
  batches: number;
  rows: number;
  rejects: number;
  /** messages another consumer had committed first */
  alreadyCommitted: number;
  refreshes: number;
  /** the committed position at the end */
  position: number;
  /** messages in the stream not loaded yet, at the end */
  lag: number;
}

/**
 * Consumes `source` in micro-batches, each committed exactly once (commitBatch, one COPY),
 * from the ledger's committed position (never the broker's): acknowledged only after the
 * commit. The next batch is fetched and parsed while one commits (BatchPrefetcher: one
 * batch ahead, never acknowledged before its own commit). Refreshes the marts every
 * `refreshEveryMs` when batches committed since, on a connection of its own while
 * batches go on committing (a refresh folds the loads committed when it starts; the
 * others wait for the next), and once at the end. Ends when `signal` aborts or, with
 * `untilIdle`, when the stream holds nothing more.
 */
export async function consumeStream(pool: Pool, source: StreamSource, options: ConsumeOptions): Promise<ConsumeReport> {
  const { log, signal } = options;
  const parser = messageParserFor(options.format);
  const report: ConsumeReport = { uri: source.uri, batches: 0, rows: 0, rejects: 0, alreadyCommitted: 0, refreshes: 0, position: 0, lag: 0 };
  report.position = await committedPosition(pool, source.streamId);
  await source.seek(report.position);
  log.info(`${source.uri}: consuming from sequence ${report.position + 1} (the ledger's committed position + 1)`);
  const prefetcher = new BatchPrefetcher(
    source,
    parser,
    { messages: options.maxEvents, bytes: options.maxBatchBytes, waitMs: options.maxWaitMs },
    signal,
  );
  let unrefreshed = false;
  let lastRefresh = performance.now();
  let lastProgress = performance.now();
  let emptyFetches = 0;
  let refreshing: Promise<void> | undefined;
  let refreshFailure: { err: unknown } | undefined;
  const refresh = async () => {
    const started = performance.now();
    const upTo = report.position;
    // batches committed from here on are folded by the next refresh
    unrefreshed = false;
    lastRefresh = started;
    await options.refresh();
    report.refreshes += 1;
    log.info(`${source.uri}: marts refreshed up to sequence ${upTo} in ${formatMs(performance.now() - started)}`);
  };
  const refreshInBackground = () => {
    refreshing = refresh()
      .catch((err: unknown) => {
        refreshFailure = { err };
      })
      .finally(() => (refreshing = undefined));
  };
  try {
    while (!signal.aborted) {
      if (refreshFailure) throw refreshFailure.err;
      const { batch, parsed, full } = await prefetcher.next();
      if (batch.messages.length > 0) {
        // the batch in hand is committed even when an interrupt came meanwhile
        const committed = await commitBatch(pool, source, batch, parsed);
        await source.ack(batch);
        report.alreadyCommitted += committed.alreadyCommitted;
        if (committed.loadId) {
          report.batches += 1;
          report.rows += committed.rows;
          report.rejects += committed.rejects;
          unrefreshed = true;
        }
        report.position = committed.position;
        options.onProgress?.({ batches: report.batches, rows: report.rows, rejects: report.rejects, position: report.position });
        // another consumer is ahead: go on from where it is, not through what it loaded (nor the batch fetched ahead)
        if (committed.position > batch.last) {
          await prefetcher.drop();
          await source.seek(committed.position);
        }
      } else if (batch.last > batch.after) {
        await source.ack(batch); // only messages sent again
      }
      emptyFetches = batch.messages.length === 0 ? emptyFetches + 1 : 0;
      // a full batch says more is waiting: the broker is asked only once one comes short
      if (options.untilIdle && !signal.aborted && !full) {
        // drained: the stream's last message is committed (by us or another consumer); or fetches keep
        // coming back empty short of it (its last messages were deleted)
        const position = Math.max(report.position, await committedPosition(pool, source.streamId));
        // an interrupt while the broker does not answer ends the wait (and the loop)
        const lastSeq = await source.lastSequence(signal).catch((err: unknown) => {
          if (signal.aborted) return undefined;
          throw err;
        });
        if (lastSeq !== undefined && (lastSeq <= position || emptyFetches >= IDLE_EMPTY_FETCHES)) break;
      }
      if (unrefreshed && !refreshing && performance.now() - lastRefresh >= options.refreshEveryMs) refreshInBackground();
      if (performance.now() - lastProgress >= (options.progressEveryMs ?? 10_000)) {
        lastProgress = performance.now();
        log.info(
          `${source.uri}: ${report.batches} batches, ${report.rows.toLocaleString('en-US')} events, ${report.rejects} rejected; position ${report.position}`,
        );
      }
    }
  } finally {
    // a batch fetched ahead is left to the broker to send again; a refresh under way ends first
    await prefetcher.drop();
    await refreshing;
  }
  if (refreshFailure) throw refreshFailure.err;
  if (unrefreshed || options.untilIdle) await refresh();
  report.position = Math.max(report.position, await committedPosition(pool, source.streamId));
  report.lag = Math.max(0, (await source.lastSequence(signal).catch(() => report.position)) - report.position);
  return report;
}
