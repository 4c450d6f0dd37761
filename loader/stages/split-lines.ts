import { Transform, type TransformCallback } from 'node:stream';
import { RecordBuffer, type Line } from './record-buffer';

const LF = 0x0a;

/**
 * Splits a byte stream into lines, emitting one `Line[]` batch per input chunk
 * (batches keep per-line overhead low). Handles `\n` and `\r\n` endings and a
 * last line without an ending; skips blank lines (only spaces, tabs, CRs:
 * isBlank) but keeps counting them.
 * A line longer than `maxLineBytes` is not buffered whole: its first bytes are
 * kept and it is flagged, so memory stays bounded whatever the input.
 * The lines of a batch share the chunk's memory: they are consumed right away.
 */
export class SplitLines extends Transform {
  private readonly pending: RecordBuffer;
  private lineNo = 0;

  constructor(maxLineBytes = 64 * 1024 * 1024) {
    super({ readableObjectMode: true });
    this.pending = new RecordBuffer(maxLineBytes);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const batch: Line[] = [];
    let start = 0;
    let newline = chunk.indexOf(LF, start);
    while (newline !== -1) {
      this.endLine(chunk.subarray(start, newline), batch);
      start = newline + 1;
      newline = chunk.indexOf(LF, start);
    }
    this.pending.add(chunk.subarray(start));
    if (batch.length > 0) this.push(batch);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (!this.pending.isEmpty) {
      const batch: Line[] = [];
      this.endLine(Buffer.alloc(0), batch);
      if (batch.length > 0) this.push(batch);
    }
    callback();
  }

  private endLine(tail: Buffer, batch: Line[]): void {
    this.lineNo += 1;
    const line = this.pending.take(tail, this.lineNo);
    if (line) batch.push(line); // a blank line (isBlank) is skipped, still counted
  }
}
