// S3 settings without the AWS SDK: reading them must not load the SDK (about 20 MB),
// which only commands that talk to S3 need.

/** How to reach S3: every field optional, the AWS CLI's environment variables fill the rest. */
export interface S3Settings {
  /** e.g. http://127.0.0.1:9000 for MinIO; implies path-style addressing */
  endpoint?: string;
  /** endpoints for some buckets only (bucket name → URL), e.g. a local MinIO demo bucket beside real AWS ones */
  bucketEndpoints?: Record<string, string>;
  region?: string;
  /** anonymous requests, for public buckets (as `aws s3 --no-sign-request`) */
  unsigned?: boolean;
  /** attempts per request, the SDK's own retries (default 3) */
  maxAttempts?: number;
}

/** `demo-lake=http://minio:9000,other=http://host:9000` → { 'demo-lake': 'http://minio:9000', ... } */
function parseBucketEndpoints(value: string | undefined): Record<string, string> {
  const pairs = (value ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean);
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

/**
 * The settings AWS CLI users already have: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
 * AWS_REGION / AWS_DEFAULT_REGION; plus ELT_S3_BUCKET_ENDPOINTS (per-bucket
 * endpoints) and ELT_S3_NO_SIGN_REQUEST.
 */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv): S3Settings {
  return {
    endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
    bucketEndpoints: parseBucketEndpoints(env.ELT_S3_BUCKET_ENDPOINTS),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    unsigned: env.ELT_S3_NO_SIGN_REQUEST === '1' || env.ELT_S3_NO_SIGN_REQUEST === 'true',
  };
}

/** The endpoint requests for `bucket` go to: its own, else the general one, else AWS (undefined). */
export function endpointFor(settings: S3Settings, bucket: string): string | undefined {
  return settings.bucketEndpoints?.[bucket] ?? settings.endpoint;
}
