import { Transform, type TransformCallback } from 'node:stream';
import { RecordBuffer, type Line } from './record-buffer';

/**
 * The frame every record splitter shares: bytes in, one `Line[]` batch per input
 * chunk out (batches keep per-record overhead low), the unfinished end of a chunk
 * kept in a bounded RecordBuffer, and the last record, which no line end closes,
 * ended when the input is. A subclass says where records end.
 */
export abstract class RecordSplitter extends Transform {
  protected readonly pending: RecordBuffer;

  constructor(maxRecordBytes: number) {
    super({ readableObjectMode: true });
    this.pending = new RecordBuffer(maxRecordBytes);
  }

  /** Ends (endRecord) every record that ends in `chunk`; returns where its unfinished rest starts. */
  protected abstract splitChunk(chunk: Buffer, batch: Line[]): number;

  /** Ends the record whose last bytes are `tail`, adding it to `batch` unless it is blank. */
  protected abstract endRecord(tail: Buffer, batch: Line[]): void;

  /** Ends the last record, which no line end closes. */
  protected endLast(batch: Line[]): void {
    this.endRecord(Buffer.alloc(0), batch);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const batch: Line[] = [];
    this.pending.add(chunk.subarray(this.splitChunk(chunk, batch)));
    if (batch.length > 0) this.push(batch);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (!this.pending.isEmpty) {
      const batch: Line[] = [];
      this.endLast(batch);
      if (batch.length > 0) this.push(batch);
    }
    callback();
  }
}
