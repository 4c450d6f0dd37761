import { isTransientSourceError, TruncatedReadError } from '../../loader/sources/transient-errors';

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

test.each([
  ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
  ['a body cut short', new TruncatedReadError(10, 20)],
  ['an S3 5xx', s3Error('InternalError', 500)],
  ['S3 throttling (SlowDown, 503)', s3Error('SlowDown', 503)],
  ['throttling by name only', Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' })],
  [
    'a transient cause under a wrapping error',
    new Error('reading failed after 5 bytes', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }),
  ],
  ['an error from another realm (no Error prototype)', { message: 'aborted', code: 'ECONNRESET' }],
])('%s is transient: worth another attempt', (_case, err) => {
  expect(isTransientSourceError(err)).toBe(true);
});

test.each([
  ['access denied (403)', s3Error('AccessDenied', 403)],
  ['no such key (404)', s3Error('NoSuchKey', 404)],
  ['a bad header (content)', new Error('unexpected header "x"')],
  ['a database error', Object.assign(new Error('duplicate key value'), { code: '23505', severity: 'ERROR' })],
])('%s is not transient: retrying would fail the same way', (_case, err) => {
  expect(isTransientSourceError(err)).toBe(false);
});
