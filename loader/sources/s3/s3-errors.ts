import { EltError, ExitCode } from '../../../core/errors';

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

/**
 * Turns what the AWS SDK throws into one line a user can act on: no such bucket,
 * access denied, missing credentials, unreachable endpoint. `what` names the
 * object or prefix the request was about.
 */
export function describeS3Error(err: unknown, what: string, endpoint: string | undefined): EltError {
  const name = String(field(err, 'name') ?? '');
  const code = String(field(err, 'code') ?? field(field(err, 'cause'), 'code') ?? '');
  const status = (field(err, '$metadata') as { httpStatusCode?: number } | undefined)?.httpStatusCode;
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'NoSuchBucket') return new EltError(`no such bucket: ${what}`, ExitCode.usage, { cause: err });
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    return new EltError(
      `access denied to ${what}: check the AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...), or use --no-sign-request for a public bucket`,
      ExitCode.sourceUnavailable,
      { cause: err },
    );
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(message)) {
    return new EltError(
      `no AWS credentials for ${what}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or use --no-sign-request for a public bucket`,
      ExitCode.sourceUnavailable,
      { cause: err },
    );
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code) || name === 'TimeoutError') {
    return new EltError(`cannot reach the S3 endpoint ${endpoint ?? '(AWS default)'} for ${what}: ${code || message}`, ExitCode.sourceUnavailable, {
      cause: err,
    });
  }
  return new EltError(`S3 request for ${what} failed: ${name ? `${name}: ` : ''}${message}`, ExitCode.sourceUnavailable, { cause: err });
}
