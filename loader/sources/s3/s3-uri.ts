import { EltError, ExitCode } from '../../../core/errors';

export interface S3Location {
  bucket: string;
  /** key prefix, '' for the whole bucket, e.g. 'lake/' */
  prefix: string;
}

/** Bucket names as S3 allows them (3-63 of a-z 0-9 . -, starting and ending with a letter or digit). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Uri(source: string): boolean {
  return source.startsWith('s3://') || source.startsWith('S3://');
}

/**
 * Parses `s3://bucket/prefix` (as the AWS CLI takes it). Throws an EltError
 * (exit code 2) saying what is wrong with a malformed URI.
 *
 * @example parseS3Uri('s3://upday-data-assignment/lake/') // { bucket: 'upday-data-assignment', prefix: 'lake/' }
 */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(uri);
  const bucket = match?.[1] ?? '';
  if (!match || !BUCKET.test(bucket)) {
    throw new EltError(`malformed S3 URI "${uri}": expected s3://<bucket>/<prefix>, with a valid bucket name`, ExitCode.usage);
  }
  return { bucket, prefix: match[2] ?? '' };
}

export function formatS3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
