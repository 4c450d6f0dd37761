/** One record's event document (JSON text), or why the format's rules reject the record. */
export type ParsedRow = { ok: true; json: string } | { ok: false; reason: string };

/**
 * The parse step of one object: turns its records into event documents, the first
 * record being its header when the format has one. Built by a format module (from
 * headerFirst or headerless), consumed by ToCopyRows.
 */
export interface RecordParser {
  /** true while the parser waits for its header record */
  wantsHeader(): boolean;
  header(record: Buffer): void;
  parse(record: Buffer): ParsedRow;
}

/**
 * The parser of a format whose first record is a header: `readHeader` reads it
 * (and throws when it is not acceptable), `parseRecord` turns every later record
 * into its document with what the header said.
 */
export function headerFirst<H>(readHeader: (record: Buffer) => H, parseRecord: (record: Buffer, header: H) => ParsedRow): RecordParser {
  let header: { value: H } | undefined;
  return {
    wantsHeader: () => header === undefined,
    header: (record) => {
      header = { value: readHeader(record) };
    },
    parse: (record) => parseRecord(record, (header as { value: H }).value),
  };
}

/** The parser of a format without a header: every record is parsed alone. */
export function headerless(parseRecord: (record: Buffer) => ParsedRow): RecordParser {
  return { wantsHeader: () => false, header: () => {}, parse: parseRecord };
}
