import type { Line } from './record-buffer';
import { RecordSplitter } from './record-splitter';

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
export class SplitLines extends RecordSplitter {
  private lineNo = 0;

  constructor(maxLineBytes = 64 * 1024 * 1024) {
    super(maxLineBytes);
  }

  protected override splitChunk(chunk: Buffer, batch: Line[]): number {
    let start = 0;
    let newline = chunk.indexOf(LF, start);
    while (newline !== -1) {
      this.endRecord(chunk.subarray(start, newline), batch);
      start = newline + 1;
      newline = chunk.indexOf(LF, start);
    }
    return start;
  }

  protected override endRecord(tail: Buffer, batch: Line[]): void {
    this.lineNo += 1;
    const line = this.pending.take(tail, this.lineNo);
    if (line) batch.push(line); // a blank line (isBlank) is skipped, still counted
  }
}
