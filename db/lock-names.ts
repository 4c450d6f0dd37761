// The names of the locks that serialize elt's processes: rows of elt.locks (migration
// 0013), taken by db/locked-transaction.ts. Named here once. SQL cannot import them:
// db/procedures/refresh_marts.sql spells the refresh lock, migration 0013 the fixed
// rows and the loader's pattern (tests/db/lock-names.test.ts holds them to these).

/**
 * The locks of the whole project: the owner takes them, the loader role may not (the
 * row-level security of elt.locks admits it to `LOAD_LOCK_PREFIX` names only).
 */
export const LOCKS = {
  /** `elt migrate`: one process applies migrations and procedures at a time (an advisory key of this name before 0013). */
  migrate: 'clickstream-elt:migrate',
  /** `elt build`: one build at a time; a build also takes `refresh`. */
  build: 'clickstream-elt:build',
  /**
   * Folding new loads into the incremental models and refreshing the marts: a build, and
   * `elt.refresh_marts()` (`elt refresh`, or an analyst's `call`), which spells it in SQL.
   */
  refresh: 'clickstream-elt:refresh',
} as const;

/** One of the project-wide locks. */
export type ProjectLockName = (typeof LOCKS)[keyof typeof LOCKS];

/**
 * What the name of every load lock starts with: the loader role may take these (and only
 * these) rows of elt.locks; migration 0013's policy is `name like '<prefix>%'`.
 */
export const LOAD_LOCK_PREFIX = 'clickstream-elt:load:';

/** An object URI: a scheme and `//` (file:///..., s3://...), the scheme not `content` or `stream` (the other kinds of load lock). */
const OBJECT_URI = /^(?!(?:content|stream):)[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The load lock of a lake object (`uri` its ledger identity, `file:///...` or `s3://...`):
 * one load of that URI at a time. Taken by the loader (load-object.ts), owner or loader role.
 * Throws on anything but such a `scheme://` URI, which could share a name with another kind.
 */
export function objectLockName(uri: string): string {
  if (!OBJECT_URI.test(uri)) throw new Error(`not an object URI (scheme://...), so no object lock: ${JSON.stringify(uri)}`);
  return `${LOAD_LOCK_PREFIX}${uri}`;
}

/**
 * The load lock of a content id (`sha256:...` of the decompressed bytes): two URIs of
 * one content load one at a time, the second seeing the first's outcome (loader/ledger.ts).
 */
export function contentLockName(contentId: string): string {
  return `${LOAD_LOCK_PREFIX}content:${contentId}`;
}

/** The load lock of a stream (its id, `nats:<stream>@<created>`): its batches commit one at a time (loader/stream/stream-ledger.ts). */
export function streamLockName(streamId: string): string {
  return `${LOAD_LOCK_PREFIX}stream:${streamId}`;
}
