import { SplitLines } from '../stages/split-lines';
import { headerless, type ParsedRow } from '../stages/parse-records';
import type { LakeFormatDefinition } from './format';
import { jsonObjectProblem } from './json-document';
import { recordText } from './record-text';

/**
 * One NDJSON record (a line, or a message body) as its event document: the JSON
 * object stored as it is, or why it is rejected.
 */
export function parseNdjsonRow(record: Buffer): ParsedRow {
  const checked = recordText(record);
  if ('reason' in checked) return { ok: false, reason: checked.reason };
  const problem = jsonObjectProblem(checked.text, 'the line');
  // a raw CR can only be JSON whitespace here; COPY's CSV mode would take it for a line end
  return problem ? { ok: false, reason: problem } : { ok: true, json: checked.text.replaceAll('\r', ' ') };
}

/** NDJSON (*.ndjson, *.jsonl): one JSON object per line, no header. */
export const ndjson: LakeFormatDefinition = {
  extensions: ['.ndjson', '.jsonl'],
  splitRecords: () => new SplitLines(),
  recordParser: () => headerless(parseNdjsonRow),
};
