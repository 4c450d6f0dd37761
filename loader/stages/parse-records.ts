import { isUtf8 } from 'node:buffer';
import { EltError, ExitCode } from '../core/errors';
import { jsonObjectProblem } from './json-document';
import type { LakeFormat } from './lake-format';
import { parseHeader, parseRow, type ParsedRow } from './row-parser';
import { parseCsvRecord } from './split-csv-records';

/** Turns an object's records into event documents: the first may be a header. */
export interface RecordParser {
  /** true while the parser waits for its header record */
  wantsHeader(): boolean;
  header(record: Buffer): void;
  parse(record: Buffer): ParsedRow;
}

const BOM = '\uFEFF';

/** Checks every format shares: bytes Postgres text and jsonb can hold. */
function textOf(record: Buffer): { text: string } | { reason: string } {
  if (record.includes(0)) return { reason: 'line contains a NUL byte' };
  if (!isUtf8(record)) return { reason: 'line is not valid UTF-8' };
  return { text: record.toString('utf8') };
}

/** The clickstream lake: the five-column header and the rules of docs/contract.md (row-parser.ts). */
function tsvLakeParser(): RecordParser {
  let header: ReturnType<typeof parseHeader> | undefined;
  return {
    wantsHeader: () => header === undefined,
    header: (record) => {
      header = parseHeader(record);
    },
    parse: (record) => parseRow(record, header as ReturnType<typeof parseHeader>),
  };
}

/** NDJSON: each line is one JSON object, stored as it is. */
function ndjsonParser(): RecordParser {
  return {
    wantsHeader: () => false,
    header: () => {},
    parse: (record) => {
      const checked = textOf(record);
      if ('reason' in checked) return { ok: false, reason: checked.reason };
      const problem = jsonObjectProblem(checked.text, 'the line');
      // a raw CR can only be JSON whitespace here; COPY's CSV mode would take it for a line end
      return problem ? { ok: false, reason: problem } : { ok: true, json: checked.text.replaceAll('\r', ' ') };
    },
  };
}

/** CSV with a header: each record becomes an object of the header's names and the record's strings. */
function csvParser(): RecordParser {
  let names: string[] | undefined;
  return {
    wantsHeader: () => names === undefined,
    header: (record) => {
      const checked = textOf(record);
      const parsed = 'text' in checked ? parseCsvRecord(checked.text.replace(BOM, '')) : undefined;
      if (!parsed || 'problem' in parsed || parsed.fields.some((name) => name === '') || new Set(parsed.fields).size !== parsed.fields.length) {
        throw new EltError(`unexpected CSV header ${JSON.stringify(record.toString('utf8').slice(0, 200))}: expected distinct, non-empty column names`, ExitCode.loadFailed);
      }
      names = parsed.fields;
    },
    parse: (record) => {
      const checked = textOf(record);
      if ('reason' in checked) return { ok: false, reason: checked.reason };
      const parsed = parseCsvRecord(checked.text);
      if ('problem' in parsed) return { ok: false, reason: parsed.problem };
      const columns = names as string[];
      if (parsed.fields.length !== columns.length) {
        return { ok: false, reason: `expected ${columns.length} comma-separated fields, found ${parsed.fields.length}` };
      }
      return { ok: true, json: JSON.stringify(Object.fromEntries(columns.map((name, index) => [name, parsed.fields[index]]))) };
    },
  };
}

export function recordParserFor(format: LakeFormat): RecordParser {
  if (format === 'csv') return csvParser();
  if (format === 'ndjson') return ndjsonParser();
  return tsvLakeParser();
}
