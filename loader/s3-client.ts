import { S3Client } from '@aws-sdk/client-s3';
import { endpointFor, type S3Settings } from './s3-settings';

/**
 * An S3 client for `bucket`: credentials from the SDK's default provider chain
 * (environment, AWS_PROFILE / shared config, SSO, container and instance roles),
 * or none when unsigned. A custom endpoint (MinIO, s3rver) uses path-style addressing.
 */
export function createS3Client(settings: S3Settings, bucket: string): S3Client {
  const endpoint = endpointFor(settings, bucket);
  return new S3Client({
    region: settings.region ?? 'us-east-1',
    followRegionRedirects: true,
    maxAttempts: settings.maxAttempts ?? 3,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(settings.unsigned
      ? { credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (request) => request } }
      : {}),
  });
}
