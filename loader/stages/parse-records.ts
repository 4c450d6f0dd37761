import { ByteWriter } from './byte-writer';

/**
 * Parses one record: writes its event document (JSON text) to `out` and returns
 * undefined, or returns why the format's rules reject it, having written nothing.
 */
export type ParseRecord<H = void> = (record: Buffer, out: ByteWriter, header: H) => string | undefined;

/** One record's event document as text, or why it is rejected: what tests and messages read. */
export type ParsedRow = { ok: true; json: string } | { ok: false; reason: string };

/**
 * The parse step of one object: turns its records into event documents, the first
 * record being its header when the format has one. Built by a format module (from
 * headerFirst or headerless), consumed by ToCopyRows and the stream's parseMessages.
 */
export interface RecordParser {
  /** true while the parser waits for its header record */
  wantsHeader(): boolean;
  header(record: Buffer): void;
  /** writes the record's document to `out` (undefined), or returns why it is rejected (nothing written) */
  parse(record: Buffer, out: ByteWriter): string | undefined;
}

/**
 * The parser of a format whose first record is a header: `readHeader` reads it
 * (and throws when it is not acceptable), `parseRecord` turns every later record
 * into its document with what the header said.
 */
export function headerFirst<H>(readHeader: (record: Buffer) => H, parseRecord: ParseRecord<H>): RecordParser {
  let header: { value: H } | undefined;
  return {
    wantsHeader: () => header === undefined,
    header: (record) => {
      header = { value: readHeader(record) };
    },
    parse: (record, out) => parseRecord(record, out, (header as { value: H }).value),
  };
}

/** The parser of a format without a header: every record is parsed alone. */
export function headerless(parseRecord: ParseRecord): RecordParser {
  return { wantsHeader: () => false, header: () => {}, parse: (record, out) => parseRecord(record, out, undefined) };
}

/** A record's document as text, or its reason: one record parsed on its own (tests, and what a message shows). */
export function parsedRow<H>(parseRecord: ParseRecord<H>, record: Buffer, header: H): ParsedRow {
  const out = new ByteWriter(256);
  const reason = parseRecord(record, out, header);
  return reason === undefined ? { ok: true, json: out.take().toString('utf8') } : { ok: false, reason };
}
