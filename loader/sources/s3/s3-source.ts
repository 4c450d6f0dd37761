import { GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { EltError, ExitCode } from '../../../core/errors';
import type { Logger } from '../../../core/log';
import { DEFAULT_FORMAT, describeExtensions, hasFormatExtension, isGzipName, type LakeFormat } from '../../formats';
import type { LakeObject } from '../lake-object';
import { createS3Client } from './s3-client';
import { endpointFor, type S3Settings } from './s3-settings';
import { describeS3Error } from './s3-errors';
import { formatS3Uri, parseS3Uri } from './s3-uri';

/** Whether the object at `uri` still exists in `bucket` (undefined: another bucket or scheme, or S3 would not say). */
async function keyExists(client: S3Client, bucket: string, uri: string): Promise<boolean | undefined> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (match?.[1] !== bucket) return undefined;
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: match[2] }));
    return true;
  } catch (err) {
    const { name, $metadata } = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404 ? false : undefined;
  }
}

function s3Object(client: S3Client, bucket: string, key: string, etag: string, size: number, settings: S3Settings, format: LakeFormat): LakeObject {
  const uri = formatS3Uri(bucket, key);
  return {
    uri,
    format,
    size,
    gzip: isGzipName(key),
    // bucket + key (the URI) + ETag + size: a changed object gets a new ETag, an unchanged one is not read again
    version: `etag:${etag.replaceAll('"', '')}:${size}`,
    exists: (other) => keyExists(client, bucket, other),
    open: async () => {
      try {
        // IfMatch: read exactly the version that was listed, or fail and say so
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
        // a store that ignores If-Match: check what came back against what was listed
        if ((response.ETag !== undefined && response.ETag !== etag) || (response.ContentLength !== undefined && response.ContentLength !== size)) {
          (response.Body as Readable | undefined)?.destroy();
          throw new EltError(`${uri} changed since it was listed; run again to load its new content`, ExitCode.loadFailed);
        }
        return response.Body as Readable;
      } catch (err) {
        if (err instanceof EltError) throw err;
        if ((err as { name?: string }).name === 'PreconditionFailed') {
          throw new EltError(`${uri} changed since it was listed; run again to load its new content`, ExitCode.loadFailed, { cause: err });
        }
        throw describeS3Error(err, uri, endpointFor(settings, bucket));
      }
    },
  };
}

/**
 * The lake objects under an `s3://bucket/prefix` URI: every `*.tsv` and
 * `*.tsv.gz` key, in key order, listed page by page (other keys are logged as
 * skipped). Each object streams its GetObject body straight into the loader.
 * Throws an EltError with one clear line for a malformed URI, a missing bucket,
 * denied access, an unreachable endpoint or a prefix without lake objects.
 */
export async function listS3Objects(
  source: string,
  settings: S3Settings,
  log: Logger,
  options: { pageSize?: number; client?: S3Client; format?: LakeFormat } = {},
): Promise<LakeObject[]> {
  const { bucket, prefix } = parseS3Uri(source);
  const format = options.format ?? DEFAULT_FORMAT;
  const client = options.client ?? createS3Client(settings, bucket, log);
  const objects: LakeObject[] = [];
  const skipped: string[] = [];
  try {
    const pages = paginateListObjectsV2({ client, pageSize: options.pageSize ?? 1000 }, { Bucket: bucket, Prefix: prefix });
    for await (const page of pages) {
      for (const item of page.Contents ?? []) {
        if (!item.Key || item.Key.endsWith('/')) continue;
        if (!hasFormatExtension(item.Key, format)) {
          skipped.push(item.Key);
          continue;
        }
        objects.push(s3Object(client, bucket, item.Key, item.ETag ?? '', item.Size ?? 0, settings, format));
      }
    }
  } catch (err) {
    throw describeS3Error(err, source, endpointFor(settings, bucket));
  }
  const patterns = describeExtensions(format);
  for (const key of skipped) log.info(`skipping ${formatS3Uri(bucket, key)}: not a ${patterns} object`);
  if (objects.length === 0) {
    throw new EltError(`no ${patterns} objects under ${source}`, ExitCode.usage);
  }
  return objects.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
}
