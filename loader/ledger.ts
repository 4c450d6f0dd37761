import type { Pool, PoolClient } from 'pg';
import { contentLockName } from '../db/lock-names';
import { alsoLock } from '../db/locked-transaction';
import type { RejectedRow } from './stages/to-copy-rows';

/** What the ledger knows an object by: where it is, what its content is, how big. */
export interface ObjectIdentity {
  uri: string;
  contentId: string;
  size: number;
  modifiedAt?: Date;
  /** what the source says of this version when listing it (S3: etag:<etag>:<size>) */
  version?: string;
}

export interface LoadedVersion {
  loadId: string;
  contentId: string;
  size: number | null;
  modifiedAt: Date | null;
  version: string | null;
}

/** The content id of an attempt until its content is read to the end (raw.loads.content_id is not null): kept by one that failed before. */
export const UNREAD_CONTENT_ID = 'unread';

type LoadedRow = {
  source_uri: string;
  load_id: string;
  content_id: string;
  size_bytes: string | null;
  modified_at: Date | null;
  source_version: string | null;
};
const LOADED_COLUMNS = 'source_uri, load_id, content_id, size_bytes, modified_at, source_version';

const loadedVersion = (row: LoadedRow): LoadedVersion => ({
  loadId: row.load_id,
  contentId: row.content_id,
  size: row.size_bytes === null ? null : Number(row.size_bytes),
  modifiedAt: row.modified_at,
  version: row.source_version,
});

/**
 * The ledger row of the content currently loaded for a URI, if any. A lake object's (a stream's loads
 * have URIs of their own): one probe of the unique index loads_one_loaded_per_uri, whose predicate the
 * statement repeats, where the planner would otherwise filter every loaded row of another index.
 */
export async function findLoaded(client: PoolClient, uri: string): Promise<LoadedVersion | undefined> {
  const { rows } = await client.query<LoadedRow>(
    `select ${LOADED_COLUMNS} from raw.loads where source_uri = $1 and status = 'loaded' and stream_id is null`,
    [uri],
  );
  const row = rows[0];
  return row && loadedVersion(row);
}

/**
 * True for a content id of a kind from before migration 0019 (the hash of a .gz file's
 * compressed bytes, an S3 ETag): it equals no id of today, so its load is never taken as
 * unchanged; the next run reads the object again (see the migration).
 */
export function isFormerContentId(contentId: string): boolean {
  return contentId.startsWith('sha256-gz:') || contentId.startsWith('etag:');
}

/**
 * True when the listed object is the version loaded, as far as the listing tells, without
 * reading it: the same source version (S3 ETag and size), or the same size and modification
 * time (local files). Never for a load whose content id is of a former kind.
 */
export function isUnchanged(loaded: LoadedVersion, object: { size: number; modifiedAt?: Date; version?: string }): boolean {
  if (isFormerContentId(loaded.contentId)) return false;
  if (object.version !== undefined) return loaded.version === object.version;
  return (
    object.modifiedAt !== undefined &&
    loaded.modifiedAt !== null &&
    loaded.size === object.size &&
    loaded.modifiedAt.getTime() === object.modifiedAt.getTime()
  );
}

/** A load `uri` stands for: the original of its latest duplicate, and that duplicate's version. */
export interface StoodFor {
  original: LoadedElsewhere & { contentId: string };
  duplicate: LoadedVersion;
}

/**
 * The load `uri` stands for: when the latest decided attempt at `uri` was a duplicate of
 * a load still 'loaded' (its content came first under another URI), that load, and the
 * duplicate's version (the same version again is the same duplicate, without reading it).
 * Should the original's URI be gone (renamed, compressed away), new content at `uri`
 * replaces the original's load, as it would its own.
 */
export async function findStoodFor(client: PoolClient, uri: string): Promise<StoodFor | undefined> {
  const { rows } = await client.query<LoadedRow & { original_id: string; original_uri: string; original_content_id: string }>(
    `with latest as (
        select ${LOADED_COLUMNS}, status, duplicate_of
          from raw.loads
         where source_uri = $1 and status in ('loaded', 'replaced', 'duplicate')
         order by load_id desc
         limit 1
     )
     select latest.source_uri, latest.load_id, latest.content_id, latest.size_bytes, latest.modified_at, latest.source_version,
            original.load_id as original_id, original.source_uri as original_uri, original.content_id as original_content_id
       from latest
       join raw.loads as original on original.load_id = latest.duplicate_of
      where latest.status = 'duplicate' and original.status = 'loaded'`,
    [uri],
  );
  const row = rows[0];
  return (
    row && {
      original: { loadId: row.original_id, uri: row.original_uri, contentId: row.original_content_id },
      duplicate: loadedVersion(row),
    }
  );
}

/** What the ledger holds for a listed URI: its loaded version, else the load it stands for (findStoodFor). */
export interface ListedLoad {
  loaded?: LoadedVersion;
  stoodFor?: StoodFor;
}

/**
 * For every listed URI at once, in one statement (each URI one probe of raw.loads' indexes):
 * the version loaded (as findLoaded), else the load it stands for (as findStoodFor). The
 * result is by position in `uris`; a URI the ledger holds nothing of has an empty entry. A run
 * thus decides which listed objects it need not read in one round trip, however many it lists.
 */
export async function findListedLoads(pool: Pool, uris: string[]): Promise<ListedLoad[]> {
  const { rows } = await pool.query<
    { position: number; loaded_id: string | null; duplicate_id: string | null } & LoadedRow & {
        original_id: string | null;
        original_uri: string | null;
        original_content_id: string | null;
      }
  >(
    `select listed.position::int as position, loaded.load_id as loaded_id, stood.load_id as duplicate_id,
            listed.uri as source_uri,
            coalesce(loaded.load_id, stood.load_id) as load_id,
            coalesce(loaded.content_id, stood.content_id) as content_id,
            coalesce(loaded.size_bytes, stood.size_bytes) as size_bytes,
            coalesce(loaded.modified_at, stood.modified_at) as modified_at,
            coalesce(loaded.source_version, stood.source_version) as source_version,
            stood.original_id, stood.original_uri, stood.original_content_id
       from unnest($1::text[]) with ordinality as listed (uri, position)
       left join raw.loads as loaded on loaded.source_uri = listed.uri and loaded.status = 'loaded' and loaded.stream_id is null
       left join lateral (
            select latest.load_id, latest.content_id, latest.size_bytes, latest.modified_at, latest.source_version,
                   original.load_id as original_id, original.source_uri as original_uri, original.content_id as original_content_id
              from (select load_id, content_id, size_bytes, modified_at, source_version, status, duplicate_of
                      from raw.loads
                     where source_uri = listed.uri and status in ('loaded', 'replaced', 'duplicate')
                     order by load_id desc
                     limit 1) as latest
              join raw.loads as original on original.load_id = latest.duplicate_of
             where loaded.load_id is null and latest.status = 'duplicate' and original.status = 'loaded'
       ) as stood on true
      where loaded.load_id is not null or stood.load_id is not null`,
    [uris],
  );
  const listed: ListedLoad[] = uris.map(() => ({}));
  for (const row of rows) {
    const version = loadedVersion(row);
    listed[row.position - 1] =
      row.loaded_id !== null
        ? { loaded: version }
        : {
            stoodFor: {
              original: { loadId: row.original_id as string, uri: row.original_uri as string, contentId: row.original_content_id as string },
              duplicate: version,
            },
          };
  }
  return listed;
}

/** Records a new version (size, modification time, source version) of a load's unchanged content: the next run skips it unread. */
export async function recordVersion(
  client: PoolClient,
  loadId: string,
  version: { size: number; modifiedAt?: Date; version?: string },
): Promise<void> {
  await client.query('update raw.loads set size_bytes = $2, modified_at = $3, source_version = $4 where load_id = $1', [
    loadId,
    version.size,
    version.modifiedAt ?? null,
    version.version ?? null,
  ]);
}

/** `count` fresh load ids (from raw.loads' own identity sequence), in increasing order. */
export async function nextLoadIds(pool: Pool, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const { rows } = await pool.query<{ id: string }>(
    "select nextval(pg_get_serial_sequence('raw.loads', 'load_id'))::text as id from generate_series(1, $1::int)",
    [count],
  );
  return rows
    .map((row) => BigInt(row.id))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(String);
}

/** The load of a content id under another URI, with rows (content without rows cannot be counted twice). */
export interface LoadedElsewhere {
  loadId: string;
  uri: string;
}

/** The first loaded object, other than `uri`, holding the content `contentId` and some rows, if any. */
export async function findLoadedContent(client: PoolClient, contentId: string, uri: string): Promise<LoadedElsewhere | undefined> {
  const { rows } = await client.query<{ load_id: string; source_uri: string }>(
    `select load_id, source_uri from raw.loads
      where content_id = $1 and status = 'loaded' and source_uri <> $2 and (row_count > 0 or reject_count > 0)
      order by load_id limit 1`,
    [contentId, uri],
  );
  const row = rows[0];
  return row && { loadId: row.load_id, uri: row.source_uri };
}

/**
 * Takes the load locks of content ids (rows of elt.locks, as the URI's), in one
 * order (so two loads never wait for each other's): two URIs of one content load
 * one at a time, and the second sees the first's outcome. Waits as long as the
 * other load takes (an interrupt cuts the wait).
 */
export async function lockContents(client: PoolClient, contentIds: string[]): Promise<void> {
  for (const contentId of [...new Set(contentIds)].sort()) await alsoLock(client, contentLockName(contentId), 0);
}

/** Marks an attempt a duplicate of load `original` (its content is loaded there): nothing of it is loaded. */
export async function markDuplicate(client: PoolClient, loadId: string, original: string, ms: number, contentId: string): Promise<void> {
  await client.query(
    `update raw.loads set status = 'duplicate', duplicate_of = $2, row_count = 0, reject_count = 0,
            finished_at = clock_timestamp(), duration_ms = $3, content_id = $4
      where load_id = $1`,
    [loadId, original, ms.toFixed(1), contentId],
  );
}

/** Of the loads `loadIds`, those no longer 'loaded' (replaced since): their duplicates are duplicates no more. */
export async function noLongerLoaded(pool: Pool, loadIds: string[]): Promise<Set<string>> {
  const { rows } = await pool.query<{ load_id: string }>("select load_id from raw.loads where load_id = any($1::bigint[]) and status <> 'loaded'", [
    loadIds,
  ]);
  return new Set(rows.map((row) => row.load_id));
}

/**
 * Records the start of an attempt, committed at once (call it outside the load's
 * transaction): if the process dies, the row stays 'loading' for all to see.
 * `loadId`, when given, is one reserved with nextLoadIds.
 */
export async function startAttempt(client: PoolClient, object: ObjectIdentity, loadId?: string): Promise<string> {
  // a reserved id (nextLoadIds) keeps ids in listing order; else the identity's next one
  const { rows } = await client.query<{ load_id: string }>(
    `insert into raw.loads (load_id, source_uri, content_id, size_bytes, modified_at, source_version, status, backend_pid)
     overriding system value
     values (coalesce($5::bigint, nextval(pg_get_serial_sequence('raw.loads', 'load_id'))), $1, $2, $3, $4, $6, 'loading', pg_backend_pid())
     returning load_id`,
    [object.uri, object.contentId, object.size, object.modifiedAt ?? null, loadId ?? null, object.version ?? null],
  );
  return (rows[0] as { load_id: string }).load_id;
}

/** Marks earlier 'loading' attempts on the URI whose database session is gone (a killed process) as 'abandoned'. */
export async function abandonDeadAttempts(client: PoolClient, uri: string, currentAttempt: string): Promise<number> {
  const { rowCount } = await client.query(
    `update raw.loads set status = 'abandoned', finished_at = clock_timestamp()
      where source_uri = $1 and status = 'loading' and load_id <> $2
        and (backend_pid is null or backend_pid not in (select pid from pg_stat_activity where pid is not null))`,
    [uri, currentAttempt],
  );
  return rowCount ?? 0;
}

/**
 * Marks every 'loading' attempt whose database session is gone as 'abandoned', whatever
 * its URI: an object that never comes back must not stay 'loading' forever.
 */
export async function abandonAllDeadAttempts(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(
    `update raw.loads set status = 'abandoned', finished_at = clock_timestamp()
      where status = 'loading'
        and (backend_pid is null or backend_pid not in (select pid from pg_stat_activity where pid is not null))`,
  );
  return rowCount ?? 0;
}

/** Removes an attempt that found the content already loaded by someone else: nothing happened. */
export async function discardAttempt(client: PoolClient, loadId: string): Promise<void> {
  await client.query('delete from raw.loads where load_id = $1', [loadId]);
}

/** Removes the rows of an earlier load of the same URI: new content replaces them. */
export async function replaceLoad(client: PoolClient, loadId: string): Promise<void> {
  await client.query('delete from raw.raw_events where load_id = $1', [loadId]);
  await client.query('delete from raw.rejected_rows where load_id = $1', [loadId]);
  await client.query("update raw.loads set status = 'replaced' where load_id = $1", [loadId]);
}

export async function finishLoad(
  client: PoolClient,
  loadId: string,
  counts: { rows: number; rejects: number; ms: number; contentId: string },
): Promise<void> {
  await client.query(
    `update raw.loads
        set status = 'loaded', row_count = $2, reject_count = $3,
            finished_at = clock_timestamp(), duration_ms = $4, content_id = $5
      where load_id = $1`,
    [loadId, counts.rows, counts.rejects, counts.ms.toFixed(1), counts.contentId],
  );
}

/** Marks an attempt failed with its error (after its transaction was rolled back); never one that committed. */
export async function failAttempt(
  client: Pool | PoolClient,
  loadId: string,
  failure: { error: string; ms: number; rows?: number; rejects?: number; contentId?: string },
): Promise<void> {
  await client.query(
    `update raw.loads
        set status = 'failed', error = $2, finished_at = clock_timestamp(), duration_ms = $3,
            row_count = $4, reject_count = $5, content_id = coalesce($6, content_id)
      where load_id = $1 and status in ('loading', 'abandoned')`,
    // text cannot hold NUL (a binary object's bytes may be quoted in the error)
    [
      loadId,
      failure.error.replaceAll('\u0000', '\uFFFD'),
      failure.ms.toFixed(1),
      failure.rows ?? null,
      failure.rejects ?? null,
      failure.contentId ?? null,
    ],
  );
}

const REJECT_BATCH = 1000;

/** Writes rejected rows; the exact bytes are kept beside the text when text cannot hold them. */
export async function insertRejects(client: PoolClient, loadId: string, uri: string, rejects: RejectedRow[]): Promise<void> {
  for (let start = 0; start < rejects.length; start += REJECT_BATCH) {
    const batch = rejects.slice(start, start + REJECT_BATCH);
    await client.query(
      `insert into raw.rejected_rows (load_id, source_uri, line_no, raw_text, raw_bytes, reason)
       select $1, $2, line_no, raw_text, raw_bytes, reason
         from unnest($3::int[], $4::text[], $5::bytea[], $6::text[]) as r (line_no, raw_text, raw_bytes, reason)`,
      [
        loadId,
        uri,
        batch.map((row) => row.lineNo),
        // text cannot hold NUL; invalid UTF-8 is shown with replacement characters
        batch.map((row) => row.bytes.toString('utf8').replaceAll('\u0000', '\uFFFD')),
        batch.map((row) => (isLossless(row.bytes) ? null : row.bytes)),
        batch.map((row) => row.reason),
      ],
    );
  }
}

function isLossless(bytes: Buffer): boolean {
  return !bytes.includes(0) && Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}
