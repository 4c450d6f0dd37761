import type { Logger } from '../../core/log';
import { DEFAULT_FORMAT, type LakeFormat } from '../formats';
import type { LakeObject } from './lake-object';
import { listLocalObjects } from './local-source';
import type { S3Settings } from './s3/s3-settings';
import { isS3Uri } from './s3/s3-uri';

/** The lake objects of a source: `s3://bucket/prefix`, a local directory, or one local file. */
export async function listObjects(source: string, s3: S3Settings, log: Logger, format: LakeFormat = DEFAULT_FORMAT): Promise<LakeObject[]> {
  if (!isS3Uri(source)) return listLocalObjects(source, format);
  // the AWS SDK is loaded only for an S3 source: a local load's memory stays that much smaller
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require: import() of a .ts module fails under jest without ESM support
  const { listS3Objects } = require('./s3/s3-source') as typeof import('./s3/s3-source');
  return listS3Objects(source, s3, log, { format });
}
