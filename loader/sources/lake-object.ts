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
  /**
   * what the source says of this version of the object when listing it, if anything
   * (S3: `etag:<etag>:<size>`): the same version as the one loaded is unchanged, without reading it
   */
  version?: string;
  /** a fresh stream of the object's (possibly compressed) bytes */
  open(): Promise<Readable>;
  /**
   * Whether the object at `uri` still exists in this object's source (false: it is gone;
   * undefined: the source cannot tell, e.g. another scheme). A duplicate whose original
   * is gone stands for the original's load.
   */
  exists?(uri: string): Promise<boolean | undefined>;
}
