import { Transform, type TransformCallback } from 'node:stream';
import type { RecordParser } from './parse-records';
import { ByteWriter } from './byte-writer';
import type { Line } from './record-buffer';

/** A data row docs/contract.md rejects, with where it was and why. */
export interface RejectedRow {
  lineNo: number;
  bytes: Buffer;
  reason: string;
}

const LF = 0x0a;

/** How many bytes of an over-long line are kept in the rejects table. */
const KEPT_BYTES_OF_LONG_LINE = 4096;

/**
 * Turns batches of lines into COPY input for raw.raw_events
 * (`load_id <TAB> line_no <TAB> event-json <LF>`, CSV format with a quote byte
 * that never occurs, so the JSON needs no escaping), as bytes: a batch's rows are
 * written into one buffer, pushed whole. The parser of the object's
 * format reads the header (when it has one) and turns each record into its
 * event document; rejected rows go to `onReject` and never reach COPY.
 */
export class ToCopyRows extends Transform {
  rows = 0;
  rejects = 0;

  constructor(
    private readonly loadId: string,
    private readonly parser: RecordParser,
    private readonly onReject: (row: RejectedRow) => void,
    /** told how many rows each batch sent on (for the progress line: rows count as they stream) */
    private readonly onRows: (rows: number) => void = () => {},
  ) {
    super({ writableObjectMode: true });
  }

  private readonly out = new ByteWriter();

  override _transform(batch: Line[], _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const { out } = this;
      const before = this.rows;
      for (const line of batch) {
        if (this.parser.wantsHeader()) {
          this.parser.header(line.bytes);
          continue;
        }
        if (line.truncatedFrom !== undefined) {
          this.reject(line.no, line.bytes.subarray(0, KEPT_BYTES_OF_LONG_LINE), `line is ${line.truncatedFrom} bytes long, over the limit`);
          continue;
        }
        const mark = out.length;
        out.ascii(`${this.loadId}\t${line.no}\t`);
        const reason = this.parser.parse(line.bytes, out);
        if (reason === undefined) {
          out.byte(LF);
          this.rows += 1;
        } else {
          out.length = mark;
          this.reject(line.no, line.bytes, reason);
        }
      }
      if (out.length > 0) this.push(out.take());
      if (this.rows > before) this.onRows(this.rows - before);
      callback();
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private reject(lineNo: number, bytes: Buffer, reason: string): void {
    this.rejects += 1;
    this.onReject({ lineNo, bytes: Buffer.from(bytes), reason });
  }
}

/** The COPY statement ToCopyRows feeds: `\x01` as quote, since it cannot occur in JSON text. */
export const COPY_RAW_EVENTS_SQL = "copy raw.raw_events (load_id, line_no, event) from stdin with (format csv, delimiter E'\\t', quote E'\\x01')";
