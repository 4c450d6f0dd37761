import { S3Client } from '@aws-sdk/client-s3';

/** How to reach S3: every field optional, the AWS CLI's environment variables fill the rest. */
export interface S3Settings {
  /** e.g. http://127.0.0.1:9000 for MinIO; implies path-style addressing */
  endpoint?: string;
  region?: string;
  /** anonymous requests, for public buckets (as `aws s3 --no-sign-request`) */
  unsigned?: boolean;
  /** attempts per request, the SDK's own retries (default 3) */
  maxAttempts?: number;
}

/** The settings the AWS CLI users already have: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION / AWS_DEFAULT_REGION. */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv): S3Settings {
  return {
    endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    unsigned: env.ELT_S3_NO_SIGN_REQUEST === '1' || env.ELT_S3_NO_SIGN_REQUEST === 'true',
  };
}

/**
 * An S3 client: credentials from the SDK's default provider chain (environment,
 * AWS_PROFILE / shared config, SSO, container and instance roles), or none when
 * unsigned. A custom endpoint (MinIO, s3rver) uses path-style addressing.
 */
export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region ?? 'us-east-1',
    followRegionRedirects: true,
    maxAttempts: settings.maxAttempts ?? 3,
    ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
    ...(settings.unsigned
      ? { credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (request) => request } }
      : {}),
  });
}
