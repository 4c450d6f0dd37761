/**
 * Exit codes of the `elt` CLI, documented in docs/reference/exit-codes.md. Each failure the user
 * can act on has its own code, so scripts can tell them apart.
 */
export const ExitCode = {
  ok: 0,
  /** an unexpected error: a bug, or a failure we did not foresee */
  unexpected: 1,
  /** bad command line or bad input: unknown flag, missing source path, malformed URI */
  usage: 2,
  /** the database cannot be reached or refused us */
  database: 3,
  /** one or more lake objects failed to load (the others were loaded) */
  loadFailed: 4,
  /** a model failed to build or refresh; elt lint: a model or data test breaks the house style */
  modelFailed: 5,
  /** the lake source cannot be reached or refused access (S3 endpoint, credentials) */
  sourceUnavailable: 6,
  /** a data test found rows that break an invariant of the marts */
  dataTestsFailed: 7,
  /** the message stream cannot be reached, has no JetStream, or the stream does not exist */
  streamUnavailable: 8,
  /** elt freshness: a source's last load (or newest event) is older than the error threshold, or nothing was ever loaded */
  stale: 9,
  /** elt query: the query ran longer than its --timeout (default 5m) and was stopped */
  timedOut: 10,
  /** waited longer than --lock-wait-seconds for a lock another session holds (the message names it: pid, user, application, state, since) */
  lockWait: 11,
  /** elt explain: the mart has no row with the key given */
  noSuchRow: 12,
  /** elt status: something needs attention: a failed or unfinished object, a missing or stale mart (the digest names each) */
  needsAttention: 13,
  /** elt diff --env: the environment's marts differ from production's (rows only on one side, changed rows or columns) */
  differs: 14,
  /** stopped by Ctrl-C (SIGINT): 128 + 2, as shells report it */
  interrupted: 130,
  /** stopped by SIGTERM: 128 + 15 */
  terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: printed as one line, mapped to an exit code. */
export class EltError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EltError';
  }
}

/** An Error, also one from another realm (where `instanceof Error` is false). */
export function isErrorLike(value: unknown): value is Error {
  return value instanceof Error || (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string');
}

/** The message of any thrown value, following `cause` chains down to the root. */
export function describeError(err: unknown): string {
  if (!isErrorLike(err)) return String(err);
  const cause = err.cause;
  if (isErrorLike(cause) && !err.message.includes(cause.message)) {
    return `${err.message}: ${describeError(cause)}`;
  }
  return err.message;
}
