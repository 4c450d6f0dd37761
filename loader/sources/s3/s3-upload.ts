import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { EltError, ExitCode } from '../../../core/errors';
import type { Logger } from '../../../core/log';
import { pathOfFileUri } from '../file-uri';
import { listLocalObjects } from '../local-source';
import { createS3Client } from './s3-client';
import { endpointFor, type S3Settings } from './s3-settings';
import { describeS3Error } from './s3-errors';
import { formatS3Uri, parseS3Uri } from './s3-uri';

export interface UploadedObject {
  file: string;
  uri: string;
  bytes: number;
}

async function ensureBucket(client: S3Client, bucket: string, create: boolean, endpoint: string | undefined): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw describeS3Error(err, `s3://${bucket}`, endpoint);
    if (!create) throw new EltError(`no such bucket: s3://${bucket} (add --create-bucket to create it)`, ExitCode.usage, { cause: err });
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (createErr) {
      throw describeS3Error(createErr, `s3://${bucket}`, endpoint);
    }
  }
}

/**
 * Puts local lake files (a directory's *.tsv / *.tsv.gz, or one file) under an
 * `s3://bucket/prefix/`, streamed with lib-storage's multipart Upload (parts of
 * `partSize` bytes, a few in flight), keeping each file's name as the key's last part.
 *
 * @example await uploadLake('.elt/demo-lake', 's3://lake-bucket/lake/', { endpoint: 'http://127.0.0.1:9000' }, log)
 */
export async function uploadLake(
  source: string,
  target: string,
  settings: S3Settings,
  log: Logger,
  options: { createBucket?: boolean; partSize?: number } = {},
): Promise<UploadedObject[]> {
  const { bucket, prefix } = parseS3Uri(target);
  const files = listLocalObjects(source);
  const client = createS3Client(settings, bucket, log);
  await ensureBucket(client, bucket, options.createBucket ?? false, endpointFor(settings, bucket));
  const keyPrefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const uploaded: UploadedObject[] = [];
  for (const file of files) {
    const bytes = pathOfFileUri(file.uri);
    const path = bytes.toString('utf8');
    // an S3 key is UTF-8: a file name that is not cannot become one unchanged
    if (!Buffer.from(path, 'utf8').equals(bytes)) {
      throw new EltError(`cannot upload ${file.uri}: its name is not valid UTF-8, which an S3 key must be (rename it)`, ExitCode.usage);
    }
    const key = `${keyPrefix}${basename(path)}`;
    const uri = formatS3Uri(bucket, key);
    const started = performance.now();
    try {
      await new Upload({
        client,
        params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
        partSize: options.partSize ?? 8 * 1024 * 1024,
        queueSize: 4,
      }).done();
    } catch (err) {
      throw describeS3Error(err, uri, endpointFor(settings, bucket));
    }
    log.info(`uploaded ${path} to ${uri} (${file.size} bytes) in ${Math.round(performance.now() - started)} ms`);
    uploaded.push({ file: path, uri, bytes: file.size });
  }
  return uploaded;
}
