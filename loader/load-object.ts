import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { asDatabaseFailure } from '../core/database-errors';
import { describeError } from '../core/errors';
import { objectLockName } from '../db/lock-names';
import { leftConnectionBroken, lockedTransaction } from '../db/locked-transaction';
import { HashBytes } from './stages/content-hash';
import { CountBytes } from './stages/count-bytes';
import { DecompressedTooLargeError, DEFAULT_MAX_GZIP_RATIO, decompressedLimit, LimitBytes } from './stages/limit-bytes';
import type { LakeObject } from './sources/lake-object';
import {
  abandonDeadAttempts,
  discardAttempt,
  failAttempt,
  findLoaded,
  findLoadedContent,
  findStoodFor,
  finishLoad,
  recordVersion,
  type LoadedElsewhere,
  insertRejects,
  isUnchanged,
  lockContents,
  markDuplicate,
  replaceLoad,
  startAttempt,
  UNREAD_CONTENT_ID,
} from './ledger';
import { formatDefinition } from './formats';
import { COPY_RAW_EVENTS_SQL, ToCopyRows, type RejectedRow } from './stages/to-copy-rows';
import { isTransientSourceError, TruncatedReadError } from './sources/transient-errors';

export interface ObjectResult {
  uri: string;
  status: 'loaded' | 'skipped' | 'failed' | 'duplicate';
  /** a duplicate's content is loaded as this load, from this URI */
  duplicateOf?: LoadedElsewhere;
  /** true when new content replaced rows loaded earlier from the same URI */
  replaced: boolean;
  rows: number;
  rejects: number;
  bytes: number;
  ms: number;
  error?: string;
  /** true when the failure was a passing one of the source (worth another attempt) */
  transient?: boolean;
  /** the failure was the database's (the session ended, the server gone, out of disk): the object and what happened, in one line */
  databaseFailure?: string;
}

export interface LoadObjectOptions {
  /** an object whose share of rejected rows exceeds this (0..1) fails as a whole */
  maxRejectRatio: number;
  /** told of every chunk of (compressed) bytes read, for progress reports */
  onBytes?: (bytes: number) => void;
  /** told of the rows sent to COPY as they stream (before the object commits), for progress reports */
  onRows?: (rows: number) => void;
  /** load content already loaded under another URI anyway (default: record a 'duplicate', load nothing) */
  allowDuplicates?: boolean;
  /** when aborted, the attempt is abandoned at once: its transaction rolls back, it fails as interrupted (never transient) */
  signal?: AbortSignal;
  /** a gzip object may decompress to this many times its size, an object under 1 MiB counting as 1 MiB (default 100) */
  maxGzipRatio?: number;
  /** the load id of each new attempt, reserved in listing order (reserveLoadIds); else the identity's next one */
  nextLoadId?: () => string | undefined;
}

/**
 * `work`, or a rejection with the signal's reason as soon as it is aborted; a value
 * that arrives after the abort is handed to `dispose` (a stream to destroy).
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, dispose?: (value: T) => void): Promise<T> {
  if (!signal) return work;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) dispose?.(value);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Rejected rows wait in memory until COPY ends; past this many bytes the object fails. */
const MAX_REJECT_BYTES = 32 * 1024 * 1024;
/** How many reject reasons a failed object's error quotes. */
const QUOTED_REASONS = 3;

/** `original` when its URI is gone from the source of `object` (else undefined: it is there, or the source cannot tell). */
async function ifGone<T extends { uri: string }>(object: LakeObject, original: T): Promise<T | undefined> {
  if (!object.exists) return undefined;
  return (await object.exists(original.uri)) === false ? original : undefined;
}

/** Raised when an object has too many rejected rows to be trusted. */
class TooManyRejectsError extends Error {}

function rejectSummary(rejected: RejectedRow[]): string {
  return rejected
    .slice(0, QUOTED_REASONS)
    .map((row) => `line ${row.lineNo}: ${row.reason}`)
    .join('; ');
}

/**
 * Loads one lake object into raw.raw_events. The attempt is recorded in the
 * ledger first (committed, so a killed process leaves a visible 'loading' row);
 * then, in one transaction under a lock on the URI (a row of elt.locks; and on its content
 * ids): skip when the same content is already loaded, record a 'duplicate' when
 * it is loaded under another URI, else stream the object through COPY
 * (replacing an earlier load of the URI), write its rejected rows, and mark the
 * attempt loaded. Nothing of a failed or killed attempt is ever visible.
 * Failures are returned, not thrown.
 */
export async function loadObject(pool: Pool, object: LakeObject, options: LoadObjectOptions): Promise<ObjectResult> {
  const started = performance.now();
  const base = { uri: object.uri, bytes: object.size, replaced: false, rows: 0, rejects: 0 };
  const elapsed = () => performance.now() - started;
  let client: PoolClient | undefined;
  let broken: Error | undefined;
  let attemptId: string | undefined;
  // what the attempt counted before it failed (none when it failed before reading)
  let counts: { rows?: number; rejects?: number; contentId?: string } = {};
  const { signal } = options;
  // where the attempt is: before its COPY, an abort cuts the session (a lock wait ends at
  // once, the transaction rolls back); during it, the pipeline's signal stops the streams
  // (COPY fails, the transaction rolls back); after it, the few last statements finish
  let phase: 'preparing' | 'streaming' | 'finishing' = 'preparing';
  // the server may end this session while we hold it (terminated, idle timeout): pg then emits
  // 'error' on the client, which must not crash the process; the failing query reports it too
  const onClientError = (err: Error) => {
    broken = err;
  };
  const onAbort = () => {
    if (phase !== 'preparing' || !client) return;
    broken ??= new Error('interrupted');
    void client.end().catch(() => undefined);
  };
  try {
    signal?.throwIfAborted();
    client = await pool.connect();
    client.on('error', onClientError);
    signal?.addEventListener('abort', onAbort, { once: true });
    const loaded = await findLoaded(client, object.uri);
    // the version loaded (same size and modification time, or S3 ETag): unchanged, without reading it again
    if (loaded && isUnchanged(loaded, object)) return { ...base, status: 'skipped', ms: elapsed() };
    // recorded as a duplicate of a load still there, and the same version since: say so again, without reading it
    const stoodFor = loaded ? undefined : await findStoodFor(client, object.uri);
    if (!options.allowDuplicates && stoodFor && isUnchanged(stoodFor.duplicate, object)) {
      return { ...base, status: 'duplicate', duplicateOf: stoodFor.original, ms: elapsed() };
    }
    const maxGzipRatio = options.maxGzipRatio ?? DEFAULT_MAX_GZIP_RATIO;
    // the content id is known once the object is read (it is the hash of what it decompresses to);
    // the attempt row is written again only once every lock is taken (no row lock held while waiting)
    attemptId = await startAttempt(
      client,
      { uri: object.uri, contentId: UNREAD_CONTENT_ID, size: object.size, modifiedAt: object.modifiedAt, version: object.version },
      options.nextLoadId?.(),
    );
    const attempt = attemptId;
    const db = client;
    // earlier attempts whose process died: committed at once, whatever becomes of this one
    await abandonDeadAttempts(db, object.uri, attempt);
    return await lockedTransaction(db, objectLockName(object.uri), async () => {
      // another process may have loaded this very version while we waited for the lock
      const own = await findLoaded(db, object.uri);
      if (own && isUnchanged(own, object)) {
        await discardAttempt(db, attempt);
        attemptId = undefined;
        return { ...base, status: 'skipped' as const, ms: elapsed() };
      }

      const rejected: RejectedRow[] = [];
      let rejectBytes = 0;
      const format = formatDefinition(object.format);
      const toRows = new ToCopyRows(
        attempt,
        format.recordParser(),
        (row) => {
          rejectBytes += row.bytes.length;
          if (rejectBytes > MAX_REJECT_BYTES) {
            throw new TooManyRejectsError(`over ${MAX_REJECT_BYTES / 1024 / 1024} MiB of rejected rows; first: ${rejectSummary(rejected)}`);
          }
          rejected.push(row);
        },
        options.onRows,
      );
      const counter = new CountBytes(options.onBytes);
      const hasher = new HashBytes();
      // the rows go back out when the content turns out loaded already (here or under another URI)
      await db.query('savepoint object_rows');
      const source: Readable = await untilAborted(object.open(), signal, (stream) => stream.destroy());
      phase = 'streaming';
      let sourceDone: 'ended' | 'failed' | undefined;
      source.once('end', () => (sourceDone ??= 'ended'));
      source.once('error', () => (sourceDone ??= 'failed'));
      // started once the source is open: a COPY left waiting for data would hold the session
      const copy = db.query(copyFrom(COPY_RAW_EVENTS_SQL));
      try {
        // a gzip object is bounded in what it may expand to, and its content id is the hash of what it expands to
        const gunzip = object.gzip ? [createGunzip(), new LimitBytes(decompressedLimit(object.size, maxGzipRatio), maxGzipRatio)] : [];
        await pipeline([source, counter, ...gunzip, hasher, format.splitRecords(), toRows, copy], { signal });
      } catch (err) {
        counts = { rows: toRows.rows, rejects: toRows.rejects };
        if (err instanceof DecompressedTooLargeError) throw err;
        // a body that stopped short is the source's fault, whichever stage noticed it
        if (sourceDone === 'ended' && counter.bytes < object.size) {
          throw new TruncatedReadError(counter.bytes, object.size, { cause: err });
        }
        if (sourceDone === 'failed') throw new Error(`reading failed after ${counter.bytes} of ${object.size} bytes`, { cause: err });
        throw err;
      }
      counts = { rows: toRows.rows, rejects: toRows.rejects };
      phase = 'finishing';
      if (counter.bytes > object.size) {
        throw new Error(`read ${counter.bytes} bytes where ${object.size} were listed: the object changed while loading; run again`);
      }
      if (counter.bytes < object.size) throw new TruncatedReadError(counter.bytes, object.size);
      // the server's own count (COPY n): a row the table did not take (a trigger, a rule) is never counted as loaded
      if (copy.rowCount !== toRows.rows) {
        throw new Error(
          `COPY stored ${copy.rowCount} rows where ${toRows.rows} were sent: raw.raw_events did not take every row (a trigger or rule on it?)`,
        );
      }
      const contentId = hasher.contentId();
      counts = { ...counts, contentId };
      if (own?.contentId === contentId) {
        // the content loaded, in a new version (touched, or copied over with the same bytes): nothing changes
        await db.query('rollback to savepoint object_rows');
        await discardAttempt(db, attempt);
        await recordVersion(db, own.loadId, { size: object.size, modifiedAt: object.modifiedAt, version: object.version });
        attemptId = undefined;
        return { ...base, status: 'skipped' as const, ms: elapsed() };
      }
      // a duplicate whose original is gone (a .tsv compressed into this .tsv.gz, a renamed file)
      // stands for the original's load: its new content replaces that load, as it would its own
      const previous = own ?? (stoodFor && stoodFor.original.contentId !== contentId ? await ifGone(object, stoodFor.original) : undefined);
      // the content being replaced too: a duplicate of it waits to see it gone (then loads);
      // an interrupt may cut this wait as it cuts the one for the URI's lock
      phase = 'preparing';
      await lockContents(db, previous ? [contentId, previous.contentId] : [contentId]);
      phase = 'finishing';
      const original = options.allowDuplicates ? undefined : await findLoadedContent(db, contentId, object.uri);
      if (original) {
        await db.query('rollback to savepoint object_rows');
        if (previous) await replaceLoad(db, previous.loadId);
        await markDuplicate(db, attempt, original.loadId, elapsed(), contentId);
        return { ...base, status: 'duplicate' as const, duplicateOf: original, replaced: previous !== undefined, ms: elapsed() };
      }
      const total = toRows.rows + toRows.rejects;
      if (toRows.rejects > 0 && toRows.rejects / total > options.maxRejectRatio) {
        const share = ((100 * toRows.rejects) / total).toFixed(1);
        throw new TooManyRejectsError(
          `${toRows.rejects} of ${total} rows rejected (${share}%, over the ${Number((options.maxRejectRatio * 100).toFixed(4))}% limit); first: ${rejectSummary(rejected)}`,
        );
      }
      if (previous) await replaceLoad(db, previous.loadId);
      await insertRejects(db, attempt, object.uri, rejected);
      const ms = elapsed();
      await finishLoad(db, attempt, { rows: toRows.rows, rejects: toRows.rejects, ms, contentId });
      return { ...base, status: 'loaded' as const, replaced: previous !== undefined, rows: toRows.rows, rejects: toRows.rejects, ms };
    });
  } catch (err) {
    // an interrupt is not the object's fault, nor worth a retry, whatever error it caused
    const interrupted = signal?.aborted === true;
    let error = interrupted ? `interrupted: ${describeError(signal.reason)}` : describeError(err);
    if (leftConnectionBroken(err)) broken ??= new Error(error);
    let ledgerUnreachable = false;
    if (attemptId !== undefined) {
      // the ledger keeps what the failed attempt had counted (nothing of it was loaded),
      // through a fresh connection when this one is gone
      const failure = { error, ms: elapsed(), ...counts };
      await failAttempt(broken || !client ? pool : client, attemptId, failure).catch((ledgerErr: unknown) => {
        ledgerUnreachable = true;
        error = `${error} (and the ledger could not record the failure: ${describeError(ledgerErr)})`;
      });
    }
    // the database failed the run (not just this object) when it lacks resources (out of disk), or when
    // the session is gone and a fresh one cannot reach the ledger either; a session the server ended for
    // this object alone (idle_in_transaction_session_timeout while the source was slow, a terminated
    // backend) while the ledger still answers fails this object only, as any other error of its own
    const lostSession = broken !== undefined && !ledgerUnreachable && attemptId !== undefined;
    const databaseFailure = interrupted || lostSession ? undefined : asDatabaseFailure(err, object.uri, { sockets: false })?.message;
    return { ...base, status: 'failed', ms: elapsed(), error, transient: !interrupted && isTransientSourceError(err), databaseFailure };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    client?.off('error', onClientError);
    client?.release(broken);
  }
}
