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

/** Rows for COPY (`load_id TAB seq TAB event-json LF`, as ToCopyRows writes them) and the rejects. */
export interface ParsedMessages {
  /** COPY input (empty when no message is a row) */
  copyData: Buffer;
  rows: number;
  rejects: RejectedRow[];
  /** blank messages: skipped, as a file's blank lines are */
  blank: number;
}

/** The stream sequence is the position (line_no), an integer column. */
const MAX_POSITION = 2 ** 31 - 1;

/**
 * Parses the messages of a batch. One message is one line of a file, so a body may end
 * in one line break (dropped); a line break inside it would be two records in one
 * message and is rejected, like every row the format's rules reject.
 */
export function parseMessages(loadId: string, messages: StreamMessage[], parser: MessageParser): ParsedMessages {
  const out = new ByteWriter(16 * 1024);
  let rows = 0;
  let blank = 0;
  const rejects: RejectedRow[] = [];
  for (const message of messages) {
    if (message.seq > MAX_POSITION)
      throw new Error(`stream sequence ${message.seq} is beyond ${MAX_POSITION}, the largest position raw.raw_events.line_no holds`);
    let body = message.data;
    if (body.at(-1) === 0x0a) body = body.subarray(0, body.at(-2) === 0x0d ? -2 : -1);
    if (isBlank(body)) {
      blank += 1;
      continue;
    }
    if (body.includes(0x0a)) {
      rejects.push({ lineNo: message.seq, bytes: Buffer.from(body), reason: 'message holds a line break: one event per message' });
      continue;
    }
    const mark = out.length;
    out.ascii(`${loadId}\t${message.seq}\t`);
    const reason = parser.parse(body, out);
    if (reason === undefined) {
      out.ascii('\n');
      rows += 1;
    } else {
      out.length = mark;
      rejects.push({ lineNo: message.seq, bytes: Buffer.from(body), reason });
    }
  }
  return { copyData: out.take(), rows, rejects, blank };
}
