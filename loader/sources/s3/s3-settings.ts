// S3 settings without the AWS SDK: reading them must not load the SDK (about 20 MB),
// which only commands that talk to S3 need.

import { resolveSetting } from '../../../core/settings/resolve-settings';

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

/**
 * The settings AWS CLI users already have: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
 * AWS_REGION / AWS_DEFAULT_REGION; plus ELT_S3_BUCKET_ENDPOINTS (per-bucket
 * endpoints) and ELT_S3_NO_SIGN_REQUEST.
 */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv): S3Settings {
  // as declared in core/settings: the first variable set wins, a bad value is a usage error
  return {
    endpoint: resolveSetting('endpointUrl', { env }),
    bucketEndpoints: { ...resolveSetting('bucketEndpoints', { env }) },
    region: resolveSetting('region', { env }),
    unsigned: resolveSetting('noSignRequest', { env }),
  };
}

/** The endpoint requests for `bucket` go to: its own, else the general one, else AWS (undefined). */
export function endpointFor(settings: S3Settings, bucket: string): string | undefined {
  return settings.bucketEndpoints?.[bucket] ?? settings.endpoint;
}
