import { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../../core/log';
import { endpointFor, type S3Settings } from './s3-settings';

/** The oldest Node major still supported upstream (and by the AWS SDK's releases from 2027). */
const SUPPORTED_NODE_MAJOR = 22;
let nodeNoticeGiven = false;

/**
 * The AWS SDK prints an 8-line NodeVersionSupportWarning (through
 * process.emitWarning) when a client is created on Node < 22. Its documented
 * switch, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true, turns off that
 * notice alone (every other warning still shows); a value the user set is kept.
 * In its place, one line of ours per process, through the command's logger.
 */
function replaceSdkNodeNotice(log: Logger | undefined): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const major = Number(process.versions.node.split('.')[0]);
  if (nodeNoticeGiven || !log || major >= SUPPORTED_NODE_MAJOR) return;
  nodeNoticeGiven = true;
  log.warn(`Node ${process.version} is past its end of life (the AWS SDK's releases from 2027 need Node ${SUPPORTED_NODE_MAJOR}); use Node 22 or 24`);
}

/**
 * An S3 client for `bucket`: credentials from the SDK's default provider chain
 * (environment, AWS_PROFILE / shared config, SSO, container and instance roles),
 * or none when unsigned. A custom endpoint (MinIO, s3rver) uses path-style addressing.
 * `log` receives the one-line notice on a Node version past its end of life.
 */
export function createS3Client(settings: S3Settings, bucket: string, log?: Logger): S3Client {
  replaceSdkNodeNotice(log);
  const endpoint = endpointFor(settings, bucket);
  return new S3Client({
    region: settings.region ?? 'us-east-1',
    followRegionRedirects: true,
    maxAttempts: settings.maxAttempts ?? 3,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(settings.unsigned ? { credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (request) => request } } : {}),
  });
}
