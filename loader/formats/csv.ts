import { EltError, ExitCode } from '../../core/errors';
import type { ByteWriter } from '../stages/byte-writer';
import { headerFirst } from '../stages/parse-records';
import { parseCsvRecord, SplitCsvRecords } from './csv-records';
import type { LakeFormatDefinition } from './format';
import { BOM, recordText } from './record-text';

/** The column names of a CSV header record; throws an EltError unless they are distinct and non-empty. */
export function parseCsvHeader(record: Buffer): string[] {
  const checked = recordText(record);
  // a byte order mark starts the file, if any: one anywhere else is a character of a name
  const parsed = 'text' in checked ? parseCsvRecord(checked.text.startsWith(BOM) ? checked.text.slice(BOM.length) : checked.text) : undefined;
  if (!parsed || 'problem' in parsed || parsed.fields.some((name) => name === '') || new Set(parsed.fields).size !== parsed.fields.length) {
    throw new EltError(
      `unexpected CSV header ${JSON.stringify(record.toString('utf8').slice(0, 200))}: expected distinct, non-empty column names`,
      ExitCode.loadFailed,
    );
  }
  return parsed.fields;
}

/**
 * One CSV record (a record of a file, or a message body) as its event document,
 * written to `out`: an object of the header's `columns` and the record's strings;
 * or why it is rejected.
 */
export function parseCsvRow(record: Buffer, out: ByteWriter, columns: string[]): string | undefined {
  const checked = recordText(record);
  if ('reason' in checked) return checked.reason;
  const parsed = parseCsvRecord(checked.text);
  if ('problem' in parsed) return parsed.problem;
  if (parsed.fields.length !== columns.length) return `expected ${columns.length} comma-separated fields, found ${parsed.fields.length}`;
  out.utf8(JSON.stringify(Object.fromEntries(columns.map((name, index) => [name, parsed.fields[index]]))));
  return undefined;
}

/** RFC 4180 CSV with a header (*.csv): records may span lines (a quoted field with a line end). */
export const csv: LakeFormatDefinition = {
  extensions: ['.csv'],
  splitRecords: () => new SplitCsvRecords(),
  recordParser: () => headerFirst(parseCsvHeader, parseCsvRow),
};
