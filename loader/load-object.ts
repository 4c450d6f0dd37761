import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { describeError } from '../cli/errors';
import { withLockedTransaction } from '../db/locked-transaction';
import type { LakeObject } from './lake-object';
import { findLoaded, finishLoad, insertRejects, recordFailure, replaceLoad, startLoad } from './ledger';
import { SplitLines } from './split-lines';
import { COPY_RAW_EVENTS_SQL, ToCopyRows, type RejectedRow } from './to-copy-rows';

export interface ObjectResult {
  uri: string;
  status: 'loaded' | 'skipped' | 'failed';
  /** true when new content replaced rows loaded earlier from the same URI */
  replaced: boolean;
  rows: number;
  rejects: number;
  bytes: number;
  ms: number;
  error?: string;
}

/** Rejected rows wait in memory until COPY ends; past this many bytes the object fails. */
const MAX_REJECT_BYTES = 32 * 1024 * 1024;

function decompressed(object: LakeObject): Readable[] {
  const raw = object.open();
  return object.gzip ? [raw, createGunzip()] : [raw];
}

/**
 * Loads one lake object into raw.raw_events in a single transaction:
 * skip it when the ledger already holds the same content, otherwise stream it
 * through COPY (replacing an earlier load of the same URI), write its rejected
 * rows and its ledger row, and commit. Nothing is visible until commit, so a
 * failure or a crash leaves the database as it was. Failures are returned, not thrown.
 */
export async function loadObject(pool: Pool, object: LakeObject): Promise<ObjectResult> {
  const started = performance.now();
  const base = { uri: object.uri, bytes: object.size, replaced: false, rows: 0, rejects: 0 };
  let contentId = 'unknown';
  try {
    contentId = await object.contentId();
    const identity = { uri: object.uri, contentId, size: object.size };
    return await withLockedTransaction(pool, `clickstream-elt:load:${object.uri}`, async (client) => {
      const previous = await findLoaded(client, object.uri);
      if (previous?.contentId === contentId) {
        return { ...base, status: 'skipped' as const, ms: performance.now() - started };
      }
      const loadId = await startLoad(client, identity);
      if (previous) await replaceLoad(client, previous.loadId);
      const rejected: RejectedRow[] = [];
      let rejectBytes = 0;
      const toRows = new ToCopyRows(loadId, (row) => {
        rejectBytes += row.bytes.length;
        if (rejectBytes > MAX_REJECT_BYTES) {
          throw new Error(`over ${MAX_REJECT_BYTES / 1024 / 1024} MiB of rejected rows (line ${row.lineNo}: ${row.reason}); is this a lake file?`);
        }
        rejected.push(row);
      });
      await pipeline([...decompressed(object), new SplitLines(), toRows, client.query(copyFrom(COPY_RAW_EVENTS_SQL))]);
      await insertRejects(client, loadId, object.uri, rejected);
      const ms = performance.now() - started;
      await finishLoad(client, loadId, { rows: toRows.rows, rejects: toRows.rejects, ms });
      return { ...base, status: 'loaded' as const, replaced: previous !== undefined, rows: toRows.rows, rejects: toRows.rejects, ms };
    });
  } catch (err) {
    const ms = performance.now() - started;
    const error = describeError(err);
    await recordFailure(pool, { uri: object.uri, contentId, size: object.size }, error, ms).catch(() => undefined);
    return { ...base, status: 'failed', ms, error };
  }
}
