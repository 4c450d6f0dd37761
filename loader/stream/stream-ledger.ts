import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EltError, ExitCode } from '../../core/errors';
import { streamLockName } from '../../db/lock-names';
import { withLockedTransaction } from '../../db/locked-transaction';
import { insertRejects } from '../ledger';
import { COPY_RAW_EVENTS_SQL } from '../stages/to-copy-rows';
import { ParsedMessages, parseMessages, type MessageParser } from './parse-messages';
import type { StreamBatch } from './stream-source';

/** The stream's committed position: the last sequence of its last committed batch (0: none). */
export async function committedPosition(db: Pool | PoolClient, streamId: string): Promise<number> {
  const { rows } = await db.query<{ seq: string | null }>(
    "select max(stream_last_seq) as seq from raw.loads where stream_id = $1 and status = 'loaded'",
    [streamId],
  );
  return Number(rows[0]?.seq ?? 0);
}

export interface CommittedBatch {
  /** the batch's load, when it held messages not committed before */
  loadId?: string;
  firstSeq?: number;
  lastSeq?: number;
  rows: number;
  rejects: number;
  /** messages of the batch another consumer had committed already (skipped) */
  alreadyCommitted: number;
  /** the stream's committed position after this batch */
  position: number;
}

/**
 * Commits a batch exactly once: in one transaction under the stream's lock, re-reads the
 * committed position (another consumer may have moved it), keeps only the messages after
 * it, and writes their rows (one COPY), their rejects and their ledger row (raw.loads,
 * status 'loaded', with the first and last sequence) together. A crash anywhere leaves
 * either all of it or nothing, and the position says which. `parsed`: the batch's
 * messages parsed already (while the batch before committed), else the parser to parse them.
 */
export async function commitBatch(
  pool: Pool,
  stream: { uri: string; streamId: string },
  batch: StreamBatch,
  parsed: ParsedMessages | MessageParser,
): Promise<CommittedBatch> {
  const started = performance.now();
  const messages = parsed instanceof ParsedMessages ? parsed : parseMessages(batch.messages, parsed);
  return withLockedTransaction(pool, streamLockName(stream.streamId), async (client) => {
    const position = await committedPosition(client, stream.streamId);
    if (position < batch.after) {
      // the consumer started after a position the ledger no longer has (a database restored from an older backup?)
      throw new EltError(
        `${stream.uri}: the ledger's position (${position}) is behind the batch's start (${batch.after}): events ${position + 1}..${batch.after} would be left out; restart elt stream`,
        ExitCode.loadFailed,
      );
    }
    const fresh = batch.messages.filter((message) => message.seq > position);
    const skipped = batch.messages.length - fresh.length;
    const first = fresh[0];
    const last = fresh.at(-1);
    if (!first || !last) return { rows: 0, rejects: 0, alreadyCommitted: skipped, position };
    const { rows: inserted } = await client.query<{ load_id: string }>(
      `insert into raw.loads (source_uri, content_id, status, stream_id, stream_first_seq, stream_last_seq, backend_pid)
       values ($1, $2, 'loading', $3, $4, $5, pg_backend_pid()) returning load_id`,
      [stream.uri, `${stream.streamId}:${first.seq}-${last.seq}`, stream.streamId, first.seq, last.seq],
    );
    const loadId = (inserted[0] as { load_id: string }).load_id;
    const rows = messages.after(position, loadId);
    if (rows.copyData.length > 0) await pipeline(Readable.from([rows.copyData]), client.query(copyFrom(COPY_RAW_EVENTS_SQL)));
    await insertRejects(client, loadId, stream.uri, rows.rejects);
    const bytes = fresh.reduce((sum, message) => sum + message.data.length, 0);
    await client.query(
      `update raw.loads set status = 'loaded', row_count = $2, reject_count = $3, size_bytes = $4,
              finished_at = clock_timestamp(), duration_ms = $5
        where load_id = $1`,
      [loadId, rows.rows, rows.rejects.length, bytes, (performance.now() - started).toFixed(1)],
    );
    return {
      loadId,
      firstSeq: first.seq,
      lastSeq: last.seq,
      rows: rows.rows,
      rejects: rows.rejects.length,
      alreadyCommitted: skipped,
      position: last.seq,
    };
  });
}
