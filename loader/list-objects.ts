import type { Logger } from '../cli/log';
import type { LakeObject } from './lake-object';
import { listLocalObjects } from './local-source';
import type { S3Settings } from './s3-client';
import { listS3Objects } from './s3-source';
import { isS3Uri } from './s3-uri';

/** The lake objects of a source: `s3://bucket/prefix`, a local directory, or one local file. */
export async function listObjects(source: string, s3: S3Settings, log: Logger): Promise<LakeObject[]> {
  return isS3Uri(source) ? listS3Objects(source, s3, log) : listLocalObjects(source);
}
