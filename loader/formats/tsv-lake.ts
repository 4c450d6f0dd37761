import { EltError, ExitCode } from '../../core/errors';
import { headerFirst, type ParsedRow } from '../stages/parse-records';
import { SplitLines } from '../stages/split-lines';
import type { LakeFormatDefinition } from './format';
import { jsonObjectProblem } from './json-document';
import { BOM, recordText } from './record-text';
import { timestampProblem } from './timestamp';

/** The header every lake object starts with (docs/contract.md); columns may come in any order. */
export const LAKE_COLUMNS = ['TIMESTAMP', 'MD5(SESSION_ID)', 'EVENT_NAME', 'MD5(USER_ID)', 'ATTRIBUTES'] as const;

export interface Header {
  columns: string[];
  /** `"<column>":` per column, JSON-encoded once so rows need no key escaping */
  keyPrefixes: string[];
  timestampIndex: number;
  attributesIndex: number;
}

const TAB = '\t';

/** Reads a header line; throws an EltError when it is not the lake header. */
export function parseHeader(line: Buffer): Header {
  let text = line.toString('utf8');
  if (text.startsWith(BOM)) text = text.slice(1);
  const columns = text.split(TAB);
  const missing = LAKE_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length > 0 || columns.length !== LAKE_COLUMNS.length) {
    throw new EltError(
      `unexpected header ${JSON.stringify(text.slice(0, 200))}: expected the ${LAKE_COLUMNS.length} tab-separated columns ${LAKE_COLUMNS.join(', ')}`,
      ExitCode.loadFailed,
    );
  }
  return {
    columns,
    keyPrefixes: columns.map((name) => `${JSON.stringify(name)}:`),
    timestampIndex: columns.indexOf('TIMESTAMP'),
    attributesIndex: columns.indexOf('ATTRIBUTES'),
  };
}

/**
 * Turns one data line (of a file, or a message body) into the JSON text of its
 * event (keys from the header, ATTRIBUTES embedded verbatim as a nested object:
 * its escapes are never re-encoded), or says why docs/contract.md rejects it.
 */
export function parseRow(bytes: Buffer, header: Header): ParsedRow {
  const checked = recordText(bytes);
  if ('reason' in checked) return { ok: false, reason: checked.reason };
  const fields = checked.text.split(TAB);
  if (fields.length !== header.columns.length) {
    return { ok: false, reason: `expected ${header.columns.length} tab-separated fields, found ${fields.length}` };
  }
  const tsProblem = timestampProblem(fields[header.timestampIndex] as string);
  if (tsProblem) return { ok: false, reason: tsProblem };
  const attributes = fields[header.attributesIndex] as string;
  const attrProblem = jsonObjectProblem(attributes, 'ATTRIBUTES');
  if (attrProblem) return { ok: false, reason: attrProblem };
  let json = '{';
  for (let i = 0; i < fields.length; i += 1) {
    if (i > 0) json += ',';
    json += header.keyPrefixes[i];
    // a raw CR can only be JSON whitespace here (inside a string it is invalid JSON);
    // COPY's CSV mode would take it for a line end, so it becomes a space
    json += i === header.attributesIndex ? attributes.replaceAll('\r', ' ') : JSON.stringify(fields[i]);
  }
  return { ok: true, json: `${json}}` };
}

/** The clickstream lake (*.tsv): one event per line, the five-column header first, the rules of docs/contract.md. */
export const tsvLake: LakeFormatDefinition = {
  extensions: ['.tsv'],
  splitRecords: () => new SplitLines(),
  recordParser: () => headerFirst(parseHeader, parseRow),
};
