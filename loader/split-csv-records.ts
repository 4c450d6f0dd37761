import { Transform, type TransformCallback } from 'node:stream';
import type { Line } from './split-lines';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * Splits an RFC 4180 CSV byte stream into records, like SplitLines does lines,
 * except that a line end inside a quoted field belongs to the field. A record
 * keeps the number of the physical line it starts on. Blank lines are skipped;
 * a record longer than `maxRecordBytes` is cut and flagged, so memory stays bounded.
 */
export class SplitCsvRecords extends Transform {
  private parts: Buffer[] = [];
  private partsLength = 0;
  private overflow = 0;
  private inQuotes = false;
  private physicalLine = 0;
  private recordStartLine = 1;

  constructor(private readonly maxRecordBytes = 64 * 1024 * 1024) {
    super({ readableObjectMode: true });
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
          this.append(chunk.subarray(start, index));
          this.endRecord(batch);
          start = index + 1;
        }
      }
    }
    this.append(chunk.subarray(start));
    if (batch.length > 0) this.push(batch);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.partsLength > 0 || this.overflow > 0) {
      const batch: Line[] = [];
      this.physicalLine += 1;
      this.endRecord(batch);
      if (batch.length > 0) this.push(batch);
    }
    callback();
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    const room = this.maxRecordBytes - this.partsLength;
    if (piece.length <= room) {
      this.parts.push(Buffer.from(piece));
      this.partsLength += piece.length;
    } else {
      if (room > 0) {
        this.parts.push(Buffer.from(piece.subarray(0, room)));
        this.partsLength += room;
      }
      this.overflow += piece.length - Math.max(room, 0);
    }
  }

  private endRecord(batch: Line[]): void {
    let bytes = Buffer.concat(this.parts, this.partsLength);
    const overflow = this.overflow;
    const no = this.recordStartLine;
    this.parts = [];
    this.partsLength = 0;
    this.overflow = 0;
    this.inQuotes = false;
    this.recordStartLine = this.physicalLine + 1;
    if (overflow === 0 && bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length === 0 && overflow === 0) return; // blank line
    batch.push(overflow > 0 ? { no, bytes, truncatedFrom: bytes.length + overflow } : { no, bytes });
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
