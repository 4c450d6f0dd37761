import type { Line } from '../stages/record-buffer';
import { RecordSplitter } from '../stages/record-splitter';

const LF = 0x0a;
const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * Where a CSV reader is within a record (RFC 4180): at the start of a field, in an
 * unquoted field, in a quoted one, or just after a quote inside a quoted field
 * (the end of the field, or the first half of an escaped `""`).
 */
export type CsvState = 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted';

/**
 * The one rule of quotes, shared by the record splitter and the field parser: a
 * quote opens a quoted field only at the start of a field; inside a quoted field
 * `""` is a quote and a lone `"` closes it. A quote anywhere else (`a"b`, `ab"`) is
 * data for the splitter and a malformed field for the parser, never an opening.
 * A line end is not handled here: outside a quoted field it ends the record.
 */
export function nextCsvState(state: CsvState, code: number): CsvState {
  if (state === 'quoted') return code === QUOTE ? 'quoteInQuoted' : 'quoted';
  if (state === 'quoteInQuoted' && code === QUOTE) return 'quoted';
  if (code === COMMA) return 'fieldStart';
  if (state === 'fieldStart' && code === QUOTE) return 'quoted';
  return 'unquoted';
}

/**
 * Splits an RFC 4180 CSV byte stream into records, like SplitLines does lines,
 * except that a line end inside a quoted field belongs to the field (nextCsvState
 * says when a quote opens one). A record keeps the number of the physical line it
 * starts on. Blank lines (only spaces, tabs, CRs: isBlank) are skipped; a record
 * longer than `maxRecordBytes` is cut and flagged, so memory stays bounded (an
 * unterminated quote makes the rest of the file one such record).
 */
export class SplitCsvRecords extends RecordSplitter {
  private state: CsvState = 'fieldStart';
  private physicalLine = 0;
  private recordStartLine = 1;

  constructor(maxRecordBytes = 64 * 1024 * 1024) {
    super(maxRecordBytes);
  }

  protected override splitChunk(chunk: Buffer, batch: Line[]): number {
    let start = 0;
    for (let index = 0; index < chunk.length; index += 1) {
      const byte = chunk[index] as number;
      if (byte === LF) {
        this.physicalLine += 1;
        if (this.state !== 'quoted') {
          this.endRecord(chunk.subarray(start, index), batch);
          start = index + 1;
        }
      } else this.state = nextCsvState(this.state, byte);
    }
    return start;
  }

  protected override endLast(batch: Line[]): void {
    this.physicalLine += 1;
    super.endLast(batch);
  }

  protected override endRecord(tail: Buffer, batch: Line[]): void {
    const record = this.pending.take(tail, this.recordStartLine);
    this.state = 'fieldStart';
    this.recordStartLine = this.physicalLine + 1;
    if (record) batch.push(record); // a blank line is skipped
  }
}

/**
 * The fields of one CSV record (RFC 4180: comma-separated, fields optionally in
 * double quotes, a quote inside a quoted field written twice), or why it is
 * malformed. Quotes follow nextCsvState, as in the splitter.
 */
export function parseCsvRecord(record: string): { fields: string[] } | { problem: string } {
  const fields: string[] = [];
  let field = '';
  let state: CsvState = 'fieldStart';
  for (const char of record) {
    const next = nextCsvState(state, char.charCodeAt(0));
    if (next === 'fieldStart') {
      fields.push(field);
      field = '';
    } else if (next === 'unquoted' && state === 'quoteInQuoted') {
      return { problem: `unexpected character after a closing quote in field ${fields.length + 1}` };
    } else if (next === 'unquoted' && char === '"') {
      return { problem: `a quote inside the unquoted field ${fields.length + 1}` };
    } else if (next === 'unquoted' || (next === 'quoted' && state !== 'fieldStart')) {
      field += char; // a character of the field, or the second quote of an escaped ""
    }
    state = next;
  }
  if (state === 'quoted') return { problem: `field ${fields.length + 1} opens a quote that never closes` };
  fields.push(field);
  return { fields };
}
