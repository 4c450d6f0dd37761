import type { Pool } from 'pg';
import { EltError, ExitCode } from '../core/errors';
import { formatMs, type Logger } from '../core/log';
import { interruptibleSleep } from '../core/interruptible-sleep';
import type { LakeObject } from './sources/lake-object';
import { abandonAllDeadAttempts, type LoadedElsewhere, noLongerLoaded } from './ledger';
import { loadObject, type ObjectResult } from './load-object';
import { reserveLoadIds } from './load-order';
import { DEFAULT_MAX_GZIP_RATIO } from './stages/limit-bytes';
import { SETTINGS } from '../core/settings/declared-settings';
import { createProgress } from './progress';
import { decideUnread } from './unread-objects';

export interface LoadSummary {
  objects: ObjectResult[];
  loaded: number;
  skipped: number;
  failed: number;
  /** objects whose content is loaded under another URI: not loaded again */
  duplicates: number;
  rows: number;
  rejects: number;
}

export interface LoadLakeOptions {
  /** how many objects load at once, each in its own transaction (default 2) */
  concurrency: number;
  /** share of rejected rows (0..1) above which an object fails (default 0.05) */
  maxRejectRatio: number;
  /** further attempts after a transient source failure (default 3) */
  retries: number;
  /** first backoff delay; doubles at each retry (default 500 ms) */
  retryDelayMs: number;
  /** a gzip object may decompress to this many times its size, one under 1 MiB counting as 1 MiB (default 100); past it, it fails */
  maxGzipRatio: number;
  /** load content already loaded under another URI anyway (default false: a warning and a 'duplicate' ledger row) */
  allowDuplicates: boolean;
  /**
   * An interrupt (Ctrl-C): when aborted, no retry is scheduled (a sleeping one stops), no
   * further object starts, the objects in flight are abandoned (their transactions roll
   * back, their attempts are recorded 'failed' as interrupted), and loadLake rejects with
   * `signal.reason` once they are.
   */
  signal?: AbortSignal;
}

/** The load's defaults: those of its flags, as declared in core/settings. */
export const DEFAULT_LOAD_OPTIONS: LoadLakeOptions = {
  concurrency: SETTINGS.concurrency.default,
  maxRejectRatio: SETTINGS.maxRejectRatio.default,
  retries: SETTINGS.retries.default,
  retryDelayMs: 500,
  maxGzipRatio: DEFAULT_MAX_GZIP_RATIO,
  allowDuplicates: SETTINGS.allowDuplicates.default,
};

export function summarizeLoads(objects: ObjectResult[]): LoadSummary {
  const count = (status: ObjectResult['status']) => objects.filter((o) => o.status === status).length;
  return {
    objects,
    loaded: count('loaded'),
    skipped: count('skipped'),
    failed: count('failed'),
    duplicates: count('duplicate'),
    rows: objects.reduce((sum, o) => sum + o.rows, 0),
    rejects: objects.reduce((sum, o) => sum + o.rejects, 0),
  };
}

/**
 * Loads the objects, up to `concurrency` at a time, each in its own transaction.
 * A transient source failure (reset socket, 5xx, throttling, body cut short) is
 * retried with exponential backoff; every attempt is its own transaction, so a
 * retried object never doubles its rows. One bad object never stops the others.
 */
export async function loadLake(pool: Pool, objects: LakeObject[], log: Logger, options: Partial<LoadLakeOptions> = {}): Promise<LoadSummary> {
  const settings = { ...DEFAULT_LOAD_OPTIONS, ...options };
  const { signal } = settings;
  signal?.throwIfAborted();
  const abandoned = await abandonAllDeadAttempts(pool);
  if (abandoned > 0) log.warn(`${abandoned} earlier load attempt(s) whose process died are now marked abandoned`);
  // the objects that need not be read (unchanged, or the same duplicate again), decided for all at once
  const unread = await decideUnread(pool, objects, settings.allowDuplicates);
  const toRead = objects.flatMap((object, index) => (unread[index] === undefined ? [object] : []));
  const progress = createProgress({ log, totalObjects: toRead.length, totalBytes: toRead.reduce((sum, o) => sum + o.size, 0) });
  const results: ObjectResult[] = new Array(objects.length);
  // every attempt of both passes below (each with its retries) has an id reserved in listing order
  const loadIds = await reserveLoadIds(
    pool,
    unread.map((result) => result?.status !== 'skipped'),
    2 * (settings.retries + 1),
  );

  const loadWithRetries = async (index: number, position: string): Promise<ObjectResult> => {
    const object = objects[index] as LakeObject;
    for (let attempt = 1; ; attempt += 1) {
      const counted = progress.attempt();
      const result = await loadObject(pool, object, {
        maxRejectRatio: settings.maxRejectRatio,
        onBytes: counted.bytesRead,
        onRows: counted.rowsStreamed,
        allowDuplicates: settings.allowDuplicates,
        maxGzipRatio: settings.maxGzipRatio,
        signal,
        nextLoadId: loadIds[index],
      });
      counted.end();
      if (signal?.aborted) return result;
      if (result.status !== 'failed' || !result.transient || attempt > settings.retries) return result;
      const delay = settings.retryDelayMs * 2 ** (attempt - 1);
      progress.log.warn(
        `${position} ${object.uri}: ${result.error}; retrying in ${formatMs(delay)} (attempt ${attempt + 1} of ${settings.retries + 1})`,
        { object: object.uri, event: 'retry', attempt: attempt + 1 },
      );
      await interruptibleSleep(delay, signal);
      if (signal?.aborted) return result;
    }
  };

  const report = (result: ObjectResult, position: string) => {
    // the event of a JSON line: the object, how it ended, its numbers
    const event = { object: result.uri, status: result.status, rows: result.rows, rejected: result.rejects, ms: Math.round(result.ms) };
    if (result.status === 'skipped') {
      progress.log.info(`${position} ${result.uri}: unchanged, skipped`, event);
    } else if (result.status === 'duplicate') {
      const original = result.duplicateOf as LoadedElsewhere;
      progress.log.warn(`${position} ${result.uri}: same content as ${original.uri} (loaded as load ${original.loadId}), skipped as a duplicate`, {
        ...event,
        duplicate_of: original.uri,
      });
    } else if (result.status === 'failed') {
      if (databaseFailure) return; // the run ends on the database's failure, with one line (below)
      progress.log.error(`${position} ${result.uri}: failed: ${result.error}`, event);
    } else {
      const rate = result.ms > 0 ? Math.round((result.rows / result.ms) * 1000) : 0;
      progress.log.info(
        `${position} ${result.uri}: ${result.replaced ? 'replaced earlier rows, ' : ''}loaded ${result.rows} rows, ` +
          `${result.rejects} rejected, in ${formatMs(result.ms)} (${rate} rows/s)`,
        { ...event, replaced: result.replaced },
      );
    }
  };

  // the database failing under a load (out of disk, the server gone) fails every other object too: no further one starts
  let databaseFailure: string | undefined;
  const loadAll = async (indexes: number[], countDone: boolean) => {
    let next = 0;
    const worker = async () => {
      while (next < indexes.length && !signal?.aborted && !databaseFailure) {
        const index = indexes[next] as number;
        next += 1;
        const position = `[${index + 1}/${objects.length}]`;
        const result = await loadWithRetries(index, position);
        results[index] = result;
        databaseFailure ??= result.databaseFailure && `${position} ${result.databaseFailure}`;
        if (countDone) progress.objectDone(result.rows, objects[index]?.size ?? 0);
        // an interrupted object is not reported as failed: the interrupt is reported once, by the caller
        if (!(signal?.aborted && result.status === 'failed')) report(result, position);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(settings.concurrency, indexes.length)) }, worker));
  };

  try {
    // the unchanged ones in one line (a line each would grow with the history); a duplicate again warns each time
    const unchanged = unread.filter((result) => result?.status === 'skipped').length;
    if (unchanged > 0) {
      progress.log.info(`${unchanged} of ${objects.length} objects unchanged since their last load: skipped unread`, {
        event: 'unchanged',
        skipped: unchanged,
      });
    }
    unread.forEach((result, index) => {
      if (result === undefined) return;
      results[index] = result;
      if (result.status !== 'skipped') report(result, `[${index + 1}/${objects.length}]`);
    });
    await loadAll(
      objects.flatMap((_, index) => (unread[index] === undefined ? [index] : [])),
      true,
    );
    signal?.throwIfAborted();
    if (databaseFailure) throw new EltError(`load: ${databaseFailure}`, ExitCode.database);
    // a duplicate of content that this very run replaced (a.tsv changed, b.tsv the former copy of it)
    // may have been judged before the replacement: it duplicates nothing now, so it loads now
    const duplicates = results.flatMap((result, index) => (result.status === 'duplicate' ? [index] : []));
    if (duplicates.length > 0) {
      const gone = await noLongerLoaded(
        pool,
        duplicates.map((index) => (results[index]?.duplicateOf as LoadedElsewhere).loadId),
      );
      await loadAll(
        duplicates.filter((index) => gone.has((results[index]?.duplicateOf as LoadedElsewhere).loadId)),
        false,
      );
    }
    signal?.throwIfAborted();
  } finally {
    progress.stop();
  }
  return summarizeLoads(results);
}
