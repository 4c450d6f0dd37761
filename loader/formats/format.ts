import type { Transform } from 'node:stream';
import type { RecordParser } from '../stages/parse-records';

/**
 * What a format module gives the loader: the file name endings that say an object
 * is in the format, the stage that splits its bytes into records, and the parser
 * that turns those records into event documents.
 */
export interface LakeFormatDefinition {
  /** lower-case endings of plain objects (each may take a further `.gz`), e.g. `['.tsv']` */
  extensions: readonly string[];
  /** a fresh stream stage: (decompressed) bytes in, batches of records (`Line[]`) out */
  splitRecords(): Transform;
  /** a fresh parser for one object's records (its header first, when the format has one) */
  recordParser(): RecordParser;
}
