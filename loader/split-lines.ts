import { Transform, type TransformCallback } from 'node:stream';

/** One physical line of a lake object, without its line ending. */
export interface Line {
  /** 1-based line number in the object (the header is line 1; blank lines count) */
  no: number;
  bytes: Buffer;
  /** set when the line was longer than the limit: `bytes` then holds only its start */
  truncatedFrom?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines, emitting one `Line[]` batch per input chunk
 * (batches keep per-line overhead low). Handles `\n` and `\r\n` endings and a
 * last line without an ending; skips blank lines but keeps counting them.
 * A line longer than `maxLineBytes` is not buffered whole: its first bytes are
 * kept and it is flagged, so memory stays bounded whatever the input.
 */
export class SplitLines extends Transform {
  private parts: Buffer[] = [];
  private partsLength = 0;
  private overflow = 0;
  private lineNo = 0;

  constructor(private readonly maxLineBytes = 64 * 1024 * 1024) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const batch: Line[] = [];
    let start = 0;
    let newline = chunk.indexOf(LF, start);
    while (newline !== -1) {
      this.append(chunk.subarray(start, newline));
      this.endLine(batch);
      start = newline + 1;
      newline = chunk.indexOf(LF, start);
    }
    this.append(chunk.subarray(start));
    if (batch.length > 0) this.push(batch);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.partsLength > 0 || this.overflow > 0) {
      const batch: Line[] = [];
      this.endLine(batch);
      if (batch.length > 0) this.push(batch);
    }
    callback();
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    const room = this.maxLineBytes - this.partsLength;
    if (piece.length <= room) {
      // copy: the chunk's memory must not be pinned by a partial line
      this.parts.push(this.parts.length === 0 && piece.length === piece.buffer.byteLength ? piece : Buffer.from(piece));
      this.partsLength += piece.length;
    } else {
      if (room > 0) {
        this.parts.push(Buffer.from(piece.subarray(0, room)));
        this.partsLength += room;
      }
      this.overflow += piece.length - Math.max(room, 0);
    }
  }

  private endLine(batch: Line[]): void {
    this.lineNo += 1;
    let bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partsLength);
    const overflow = this.overflow;
    this.parts = [];
    this.partsLength = 0;
    this.overflow = 0;
    if (overflow === 0 && bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length === 0 && overflow === 0) return; // blank line: skipped, still counted
    batch.push(overflow > 0 ? { no: this.lineNo, bytes, truncatedFrom: bytes.length + overflow } : { no: this.lineNo, bytes });
  }
}
