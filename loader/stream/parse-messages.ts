import { formatDefinition } from '../formats';
import { LAKE_COLUMNS } from '../formats/tsv-lake';
import { ByteWriter } from '../stages/byte-writer';
import type { RecordParser } from '../stages/parse-records';
import { isBlank } from '../stages/record-buffer';
import type { RejectedRow } from '../stages/to-copy-rows';
import type { StreamMessage } from './stream-source';

/** The formats a message body can be in: one lake data line, or one JSON object. */
export type StreamFormat = 'tsv-lake' | 'ndjson';
export const STREAM_FORMATS: readonly StreamFormat[] = ['tsv-lake', 'ndjson'];

/** A message's body is one record of its format, checked as a file's row is (the loader's own parser). */
export type MessageParser = Pick<RecordParser, 'parse'>;

/**
 * The loader's record parser of `format`. A tsv-lake message is a data line in the
 * header's standard column order (LAKE_COLUMNS), so the parser is given that header.
 */
export function messageParserFor(format: StreamFormat): MessageParser {
  const parser = formatDefinition(format).recordParser();
  if (parser.wantsHeader()) parser.header(Buffer.from(LAKE_COLUMNS.join('\t'), 'utf8'));
  return parser;
}

/** The stream sequence is the position (line_no), an integer column. */
const MAX_POSITION = 2 ** 31 - 1;

/**
 * A row's load id is written as this many zeros (bigint's widest value has 19 digits, and
 * Postgres reads leading zeros as the number), then overwritten with the batch's load id
 * once its ledger row exists: a batch is parsed while the one before it commits, before
 * its load id is known, and the id costs a write of 19 bytes a row, not a second pass.
 */
const LOAD_ID_DIGITS = 19;
const LOAD_ID_PLACEHOLDER = '0'.repeat(LOAD_ID_DIGITS);

/** What a batch's messages after a position give: COPY input, its row count, the rejects. */
export interface RowsAfter {
  /** COPY input (`load_id TAB seq TAB event-json LF`, as ToCopyRows writes them; empty when no message is a row) */
  copyData: Buffer;
  rows: number;
  rejects: RejectedRow[];
}

/** A batch's messages parsed: the COPY rows of the accepted ones (in sequence order) and the rejects. */
export class ParsedMessages {
  constructor(
    private readonly data: Buffer,
    /** where each accepted row starts in `data` */
    private readonly rowStarts: number[],
    /** each accepted row's sequence */
    private readonly rowSeqs: number[],
    readonly rejects: RejectedRow[],
    /** blank messages: skipped, as a file's blank lines are */
    readonly blank: number,
  ) {}

  get rows(): number {
    return this.rowSeqs.length;
  }

  /**
   * The rows and rejects of the messages after `position` (the others were committed by
   * another consumer), their COPY input carrying `loadId` (written into the buffer in place).
   */
  after(position: number, loadId: string): RowsAfter {
    if (!/^[0-9]{1,19}$/.test(loadId)) throw new Error(`load id ${loadId} is not a bigint of at most ${LOAD_ID_DIGITS} digits`);
    const digits = loadId.padStart(LOAD_ID_DIGITS, '0');
    let first = 0;
    while (first < this.rowSeqs.length && (this.rowSeqs[first] as number) <= position) first += 1;
    for (let row = first; row < this.rowStarts.length; row += 1) this.data.write(digits, this.rowStarts[row] as number, LOAD_ID_DIGITS, 'latin1');
    const start = first < this.rowStarts.length ? (this.rowStarts[first] as number) : this.data.length;
    return {
      copyData: this.data.subarray(start),
      rows: this.rowSeqs.length - first,
      rejects: this.rejects.filter((reject) => reject.lineNo > position),
    };
  }
}

/**
 * Parses the messages of a batch. One message is one line of a file, so a body may end
 * in one line break (dropped); a line break inside it would be two records in one
 * message and is rejected, like every row the format's rules reject.
 */
export function parseMessages(messages: StreamMessage[], parser: MessageParser): ParsedMessages {
  const rows = new MessageRows(messages);
  for (const message of messages) rows.add(message, parser);
  return rows.parsed();
}

/** The COPY rows and rejects of a batch's messages, added in sequence order. */
class MessageRows {
  // the rows take about the messages' bytes: one buffer of that size, not a run of doublings
  private readonly out: ByteWriter;
  private readonly rowStarts: number[] = [];
  private readonly rowSeqs: number[] = [];
  private readonly rejects: RejectedRow[] = [];
  private blank = 0;

  constructor(messages: StreamMessage[]) {
    this.out = new ByteWriter(
      Math.max(
        16 * 1024,
        messages.reduce((sum, message) => sum + message.data.length + 48, 0),
      ),
    );
  }

  add(message: StreamMessage, parser: MessageParser): void {
    if (message.seq > MAX_POSITION)
      throw new Error(`stream sequence ${message.seq} is beyond ${MAX_POSITION}, the largest position raw.raw_events.line_no holds`);
    let body = message.data;
    if (body.at(-1) === 0x0a) body = body.subarray(0, body.at(-2) === 0x0d ? -2 : -1);
    if (isBlank(body)) {
      this.blank += 1;
      return;
    }
    if (body.includes(0x0a)) {
      this.rejects.push({ lineNo: message.seq, bytes: Buffer.from(body), reason: 'message holds a line break: one event per message' });
      return;
    }
    const { out } = this;
    const mark = out.length;
    out.ascii(`${LOAD_ID_PLACEHOLDER}\t${message.seq}\t`);
    const reason = parser.parse(body, out);
    if (reason === undefined) {
      out.ascii('\n');
      this.rowStarts.push(mark);
      this.rowSeqs.push(message.seq);
    } else {
      out.length = mark;
      this.rejects.push({ lineNo: message.seq, bytes: Buffer.from(body), reason });
    }
  }

  parsed(): ParsedMessages {
    return new ParsedMessages(this.out.take(), this.rowStarts, this.rowSeqs, this.rejects, this.blank);
  }
}
