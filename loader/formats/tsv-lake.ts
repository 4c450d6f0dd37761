import { EltError, ExitCode } from '../../core/errors';
import type { ByteWriter } from '../stages/byte-writer';
import { headerFirst } from '../stages/parse-records';
import { SplitLines } from '../stages/split-lines';
import type { LakeFormatDefinition } from './format';
import { writeJsonObject } from './json-document';
import { BOM, recordProblem } from './record-text';
import { timestampProblem } from './timestamp';

/** The header every lake object starts with (docs/contract.md); columns may come in any order. */
export const LAKE_COLUMNS = ['TIMESTAMP', 'MD5(SESSION_ID)', 'EVENT_NAME', 'MD5(USER_ID)', 'ATTRIBUTES'] as const;

export interface Header {
  columns: string[];
  /** `"<column>":` per column as UTF-8, JSON-encoded once so rows need no key escaping */
  keyPrefixes: Buffer[];
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
    keyPrefixes: columns.map((name) => Buffer.from(`${JSON.stringify(name)}:`, 'utf8')),
    timestampIndex: columns.indexOf('TIMESTAMP'),
    attributesIndex: columns.indexOf('ATTRIBUTES'),
  };
}

const TAB_BYTE = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;

/** Where each field of a line starts and ends (its tab, or the line's end), reused by every row: parsing is synchronous. */
const fieldStarts = new Int32Array(LAKE_COLUMNS.length);
const fieldEnds = new Int32Array(LAKE_COLUMNS.length);

/** Whether `bytes[start..end)` may stand between JSON quotes as it is: no quote, backslash or control character (valid UTF-8 past 0x7f is fine). */
function isPlainJsonString(bytes: Buffer, start: number, end: number): boolean {
  for (let pos = start; pos < end; pos += 1) {
    const byte = bytes[pos] as number;
    if (byte < 0x20 || byte === QUOTE || byte === BACKSLASH) return false;
  }
  return true;
}

/**
 * Turns one data line (of a file, or a message body) into the JSON text of its
 * event, written to `out` (keys from the header, ATTRIBUTES embedded verbatim as a
 * nested object: its escapes are never re-encoded), or says why docs/contract.md
 * rejects it. It works on the line's bytes: only the timestamp, and a field that
 * needs JSON escapes, are decoded.
 */
export function parseRow(bytes: Buffer, out: ByteWriter, header: Header): string | undefined {
  const problem = recordProblem(bytes);
  if (problem !== undefined) return problem;
  const count = header.columns.length;
  let from = 0;
  for (let field = 0; field < count - 1; field += 1) {
    const tab = bytes.indexOf(TAB_BYTE, from);
    if (tab === -1) return `expected ${count} tab-separated fields, found ${field + 1}`;
    fieldStarts[field] = from;
    fieldEnds[field] = tab;
    from = tab + 1;
  }
  if (bytes.indexOf(TAB_BYTE, from) !== -1) {
    let fields = count;
    for (let tab = bytes.indexOf(TAB_BYTE, from); tab !== -1; tab = bytes.indexOf(TAB_BYTE, tab + 1)) fields += 1;
    return `expected ${count} tab-separated fields, found ${fields}`;
  }
  fieldStarts[count - 1] = from;
  fieldEnds[count - 1] = bytes.length;
  const { timestampIndex, attributesIndex } = header;
  const tsProblem = timestampProblem(bytes.toString('utf8', fieldStarts[timestampIndex], fieldEnds[timestampIndex]));
  if (tsProblem) return tsProblem;
  const mark = out.length;
  for (let field = 0; field < count; field += 1) {
    const start = fieldStarts[field] as number;
    const end = fieldEnds[field] as number;
    out.byte(field === 0 ? OPEN_BRACE : COMMA);
    out.bytes(header.keyPrefixes[field] as Buffer);
    if (field === attributesIndex) {
      const attrProblem = writeJsonObject(bytes, start, end, 'ATTRIBUTES', out);
      if (attrProblem !== undefined) {
        out.length = mark; // nothing of a rejected row is written
        return attrProblem;
      }
    } else if (isPlainJsonString(bytes, start, end)) {
      out.byte(QUOTE);
      out.bytes(bytes, start, end);
      out.byte(QUOTE);
    } else out.utf8(JSON.stringify(bytes.toString('utf8', start, end)));
  }
  out.byte(CLOSE_BRACE);
  return undefined;
}

/** The clickstream lake (*.tsv): one event per line, the five-column header first, the rules of docs/contract.md. */
export const tsvLake: LakeFormatDefinition = {
  extensions: ['.tsv'],
  splitRecords: () => new SplitLines(),
  recordParser: () => headerFirst(parseHeader, parseRow),
};
