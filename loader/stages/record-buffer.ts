/**
 * One record of a lake object: a physical line without its line ending, or a CSV
 * record (which may span lines). What the splitters emit, in batches.
 */
export interface Line {
  /** 1-based line number in the object where the record starts (the header is line 1; blank lines count) */
  no: number;
  bytes: Buffer;
  /** set when the record was longer than the limit: `bytes` then holds only its start */
  truncatedFrom?: number;
}

const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * The one rule of a blank line, for every format: nothing but spaces, tabs and CRs
 * (a line of four tabs too, though the lake would read it as five empty fields).
 * A blank line is skipped, and still counted in line numbers.
 */
export function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== SPACE && byte !== TAB && byte !== CR) return false;
  return true;
}

/**
 * The bytes of one record as they arrive across chunks, bounded: past `max`
 * bytes only their count grows, so one endless line cannot exhaust memory.
 * Shared by the line and the CSV record splitters.
 */
export class RecordBuffer {
  private parts: Buffer[] = [];
  private length = 0;
  private overflow = 0;

  constructor(private readonly max: number) {}

  get isEmpty(): boolean {
    return this.length === 0 && this.overflow === 0;
  }

  /** Keeps the start of a record that goes on in the next chunk (copied: the chunk is not kept). */
  add(piece: Buffer): void {
    if (piece.length === 0) return;
    const room = this.max - this.length;
    if (piece.length <= room) {
      this.parts.push(Buffer.from(piece));
      this.length += piece.length;
    } else {
      if (room > 0) {
        this.parts.push(Buffer.from(piece.subarray(0, room)));
        this.length += room;
      }
      this.overflow += piece.length - Math.max(room, 0);
    }
  }

  /**
   * The record ending with `tail` (a piece of the current chunk) as a Line numbered
   * `no`, or undefined for a blank line (isBlank); empties the buffer. A record that
   * fits in its chunk is not copied. A trailing CR (a CRLF ending) is dropped.
   */
  take(tail: Buffer, no: number): Line | undefined {
    let bytes: Buffer;
    let overflow: number;
    if (this.isEmpty && tail.length <= this.max) {
      bytes = tail;
      overflow = 0;
    } else {
      this.add(tail);
      bytes = Buffer.concat(this.parts, this.length);
      overflow = this.overflow;
    }
    this.parts = [];
    this.length = 0;
    this.overflow = 0;
    if (overflow === 0 && bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (overflow === 0 && isBlank(bytes)) return undefined;
    return overflow > 0 ? { no, bytes, truncatedFrom: bytes.length + overflow } : { no, bytes };
  }
}
