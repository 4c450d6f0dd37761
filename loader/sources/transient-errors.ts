import { isErrorLike } from '../../core/errors';

/** Network error codes that say "try again": the connection failed, not the request. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
/** S3 error names that say "slow down" or "our side failed". */
const TRANSIENT_S3_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
]);

/** An error raised because an object's bytes stopped short: always worth a retry. */
export class TruncatedReadError extends Error {
  constructor(
    readonly bytesRead: number,
    readonly expected: number,
    options?: { cause?: unknown },
  ) {
    super(`the connection ended after ${bytesRead} of ${expected} bytes`, options);
    this.name = 'TruncatedReadError';
  }
}

/**
 * True when `err` is a passing failure of the source (a reset socket, a 5xx,
 * throttling, a body cut short), so loading the object again may succeed.
 * Database errors and bad content are never transient.
 */
export function isTransientSourceError(err: unknown): boolean {
  for (let current: unknown = err; isErrorLike(current); current = current.cause) {
    if (current instanceof TruncatedReadError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    if (TRANSIENT_S3_NAMES.has(current.name)) return true;
    const status = (current as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (typeof status === 'number' && status >= 500) return true;
    if (/socket hang up|aborted/i.test(current.message)) return true;
  }
  return false;
}
