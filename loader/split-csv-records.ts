import { Transform, type TransformCallback } from 'node:stream';
import { RecordBuffer } from './record-buffer';
import type { Line } from './split-lines';

const LF = 0x0a;
const QUOTE = 0x22;

/**
 * Splits an RFC 4180 CSV byte stream into records, like SplitLines does lines,
 * except that a line end inside a quoted field belongs to the field. A record
 * keeps the number of the physical line it starts on. Blank lines (only spaces,
 * tabs, CRs: isBlank) are skipped;
 * a record longer than `maxRecordBytes` is cut and flagged, so memory stays bounded.
 */
export class SplitCsvRecords extends Transform {
  private readonly pending: RecordBuffer;
  private inQuotes = false;
  private physicalLine = 0;
  private recordStartLine = 1;

  constructor(maxRecordBytes = 64 * 1024 * 1024) {
    super({ readableObjectMode: true });
    this.pending = new RecordBuffer(maxRecordBytes);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const batch: Line[] = [];
    let start = 0;
    for (let index = 0; index < chunk.length; index += 1) {
      const byte = chunk[index];
      if (byte === QUOTE) this.inQuotes = !this.inQuotes; // "" inside a quoted field toggles twice
      else if (byte === LF) {
        this.physicalLine += 1;
        if (!this.inQuotes) {
          this.endRecord(chunk.subarray(start, index), batch);
          start = index + 1;
        }
      }
    }
    this.pending.add(chunk.subarray(start));
    if (batch.length > 0) this.push(batch);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (!this.pending.isEmpty) {
      const batch: Line[] = [];
      this.physicalLine += 1;
      this.endRecord(Buffer.alloc(0), batch);
      if (batch.length > 0) this.push(batch);
    }
    callback();
  }

  private endRecord(tail: Buffer, batch: Line[]): void {
    const record = this.pending.take(tail, this.recordStartLine);
    this.inQuotes = false;
    this.recordStartLine = this.physicalLine + 1;
    if (record) batch.push(record); // a blank line is skipped
  }
}

/**
 * The fields of one CSV record (RFC 4180: comma-separated, fields optionally in
 * double quotes, a quote inside a quoted field written twice), or why it is malformed.
 */
export function parseCsvRecord(record: string): { fields: string[] } | { problem: string } {
  const fields: string[] = [];
  let field = '';
  let index = 0;
  let quoted = false;
  let afterQuote = false;
  while (index < record.length) {
    const char = record[index] as string;
    if (quoted) {
      if (char === '"') {
        if (record[index + 1] === '"') {
          field += '"';
          index += 1;
        } else {
          quoted = false;
          afterQuote = true;
        }
      } else field += char;
    } else if (char === ',') {
      fields.push(field);
      field = '';
      afterQuote = false;
    } else if (char === '"' && field === '' && !afterQuote) {
      quoted = true;
    } else if (afterQuote) {
      return { problem: `unexpected character after a closing quote in field ${fields.length + 1}` };
    } else if (char === '"') {
      return { problem: `a quote inside the unquoted field ${fields.length + 1}` };
    } else field += char;
    index += 1;
  }
  if (quoted) return { problem: `field ${fields.length + 1} opens a quote that never closes` };
  fields.push(field);
  return { fields };
}
