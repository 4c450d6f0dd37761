import { SplitLines } from '../stages/split-lines';
import type { ByteWriter } from '../stages/byte-writer';
import { headerless } from '../stages/parse-records';
import type { LakeFormatDefinition } from './format';
import { writeJsonObject } from './json-document';
import { recordProblem } from './record-text';

/**
 * One NDJSON record (a line, or a message body) as its event document, written to
 * `out`: the JSON object stored as it is; or why it is rejected.
 */
export function parseNdjsonRow(record: Buffer, out: ByteWriter): string | undefined {
  return recordProblem(record) ?? writeJsonObject(record, 0, record.length, 'the line', out);
}

/** NDJSON (*.ndjson, *.jsonl): one JSON object per line, no header. */
export const ndjson: LakeFormatDefinition = {
  extensions: ['.ndjson', '.jsonl'],
  splitRecords: () => new SplitLines(),
  recordParser: () => headerless(parseNdjsonRow),
};
