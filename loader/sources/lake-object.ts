import type { Readable } from 'node:stream';
import type { LakeFormat } from '../formats';

/** One object of a lake, wherever it lives (local disk, S3). */
export interface LakeObject {
  /** stable identity of the object in the ledger: file:///data/lake/2019-02-15.tsv, s3://bucket/lake/2019-02-15.tsv */
  uri: string;
  size: number;
  /** true when the bytes are gzip-compressed (`*.tsv.gz`) */
  gzip: boolean;
  /** how its records are written (tsv-lake, csv, ndjson) */
  format: LakeFormat;
  /** last modification time, when the source knows it cheaply (local files) */
  modifiedAt?: Date;
  /** the content's identity: equal ids mean equal content (sha256:<hex>, or the S3 ETag and size) */
  contentId(): Promise<string>;
  /** a fresh stream of the object's (possibly compressed) bytes */
  open(): Promise<Readable>;
}
