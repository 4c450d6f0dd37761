import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LAKE_COLUMNS } from '../../loader/formats/tsv-lake';
import { anyString, jsonDocumentBytes } from '../helpers/json-text-arbitraries';
import { commitMessages, documentsByLine, loadFile, rejectsByLine, sameJson } from '../helpers/loaded-documents';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { rowVerdict } from '../reference/metrics-reference';

// Property tests of every input format and the stream's parse path: generated files and
// messages, valid and spoiled, loaded through the real loader into a real Postgres. Each
// row must load as the oracle (JSON.parse and the contract's rules, written here apart
// from the loader) reads it, or be rejected alone, the rest of the file loaded. fast-check
// prints the seed and the shrunk input of a failure; set FC_SEED to replay one.

const RUNS = 20;
const params = { numRuns: RUNS, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) };

/** What a row of the input must become: nothing (a blank line), a rejected row, or this document. */
type Expected = { skipped: true } | { rejected: true } | { document: unknown };
const SKIPPED: Expected = { skipped: true };
const REJECTED: Expected = { rejected: true };

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function decoded(bytes: Buffer): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const isBlank = (bytes: Buffer) => bytes.every((byte) => byte === SPACE || byte === TAB || byte === CR);

const TS = '2019-02-15 03:07:03.662 +0000';

/** An NDJSON line or message: JSON.parse must read an object, and the contract must store it (docs/contract.md rule 4). */
function jsonLineExpected(line: Buffer): Expected {
  const text = decoded(line);
  if (text === undefined || text.includes('\0')) return REJECTED;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return REJECTED;
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return REJECTED;
  // the contract's storable rules, as the reference reads them for ATTRIBUTES (a tab in a valid text is whitespace)
  return rowVerdict(`${TS}\ts\te\tu\t${text.replace(/\t/g, ' ')}`).verdict === 'accepted' ? { document } : REJECTED;
}

/** A lake data line under `header`: the reference's verdict, and the event it means. */
function lakeLineExpected(line: Buffer, header: readonly string[]): Expected {
  const text = decoded(line);
  if (text === undefined) return REJECTED;
  const verdict = rowVerdict(text, header);
  if (verdict.verdict === 'skipped') return SKIPPED;
  if (verdict.verdict === 'rejected') return REJECTED;
  const fields = text.split('\t');
  return { document: Object.fromEntries(header.map((name, index) => [name, name === 'ATTRIBUTES' ? JSON.parse(fields[index]!) : fields[index]])) };
}

/** A file's physical lines, numbered from 1, without their LF nor a CR before it; a last line needs no LF. */
function fileLines(content: Buffer): { no: number; bytes: Buffer }[] {
  const lines: { no: number; bytes: Buffer }[] = [];
  let start = 0;
  for (let no = 1; start < content.length; no += 1) {
    const lf = content.indexOf(LF, start);
    const end = lf === -1 ? content.length : lf;
    const bytes = content.subarray(start, end);
    lines.push({ no, bytes: bytes.at(-1) === CR ? bytes.subarray(0, -1) : bytes });
    start = end + 1;
  }
  return lines;
}

/** A message body as one record: one line end dropped; blank, skipped; holding an LF, rejected. */
function messageRecord(body: Buffer): Buffer | Expected {
  let record = body;
  if (record.at(-1) === LF) record = record.subarray(0, record.at(-2) === CR ? -2 : -1);
  if (isBlank(record)) return SKIPPED;
  return record.includes(LF) ? REJECTED : record;
}

/** Joins records with LF or CRLF (`crlf[i]`), the last one's ending optional. */
function joinLines(lines: Buffer[], crlf: boolean[], finalEnding: boolean): Buffer {
  const parts: Buffer[] = [];
  lines.forEach((line, index) => {
    parts.push(line);
    if (index < lines.length - 1 || finalEnding) parts.push(Buffer.from(crlf[index % crlf.length] ? '\r\n' : '\n'));
  });
  return Buffer.concat(parts);
}

describe('every format loads each row as the oracle reads it, or rejects it alone', () => {
  let db: TestDatabase;
  let dir: string;
  let files = 0;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    dir = mkdtempSync(join(tmpdir(), 'elt-formats-property-'));
  });
  afterAll(() => db.drop());

  /** The rows of `uri` that differ from `expected` (by line), and the counts the load reported against the expected ones. */
  async function differences(uri: string, expected: Map<number, Expected>, reported: { rows: number; rejects: number }) {
    const documents = await documentsByLine(db, uri);
    const rejects = await rejectsByLine(db, uri);
    const wrong: unknown[] = [];
    for (const [no, want] of expected) {
      const got = documents.has(no) ? { document: documents.get(no) } : rejects.has(no) ? { rejected: rejects.get(no) } : SKIPPED;
      const same =
        'document' in want ? 'document' in got && sameJson(got.document, want.document) : 'rejected' in want ? 'rejected' in got : got === SKIPPED;
      if (!same) wrong.push({ line: no, want, got });
    }
    const want = [...expected.values()];
    const counts = { rows: want.filter((row) => 'document' in row).length, rejects: want.filter((row) => 'rejected' in row).length };
    return { wrong, counts: { reported, expected: counts }, stored: { rows: documents.size, rejects: rejects.size } };
  }

  async function expectFileLoads(name: string, content: Buffer, format: 'ndjson' | 'tsv-lake' | 'csv', expected: Map<number, Expected>) {
    files += 1;
    const result = await loadFile(db, dir, `${files}-${name}`, content, format);
    expect({ status: result.status, error: result.error }).toEqual({ status: 'loaded', error: undefined });
    const found = await differences(result.uri, expected, { rows: result.rows, rejects: result.rejects });
    expect(found.wrong).toEqual([]);
    expect(found.counts.reported).toEqual(found.counts.expected);
    expect(found.stored).toEqual(found.counts.expected);
  }

  test('NDJSON files: JSON with any whitespace, escape or COPY-special byte, and spoiled lines', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(jsonDocumentBytes(false), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 1 }),
        fc.boolean(),
        async (lines, crlf, finalEnding) => {
          const content = joinLines(lines, crlf, finalEnding);
          const expected = new Map(fileLines(content).map(({ no, bytes }) => [no, isBlank(bytes) ? SKIPPED : jsonLineExpected(bytes)]));
          await expectFileLoads('events.ndjson', content, 'ndjson', expected);
        },
      ),
      params,
    );
  });

  const lakeTimestamp = fc.constantFrom(TS, '2019-02-15T03:07:03Z', '2019-02-15 03:07:03 +01:00', '2019-02-30 00:00:00 +0000', 'now', '');
  /** A lake data line under `header`: fields of any characters (a tab or LF among them splits it), ATTRIBUTES a JSON document or a spoiled one. */
  const lakeLine = (header: readonly string[]) =>
    fc
      .record({ timestamp: lakeTimestamp, session: anyString(), event: anyString(), user: anyString(), attributes: jsonDocumentBytes(false) })
      .map((row) => {
        const byName: Record<string, Buffer> = {
          TIMESTAMP: Buffer.from(row.timestamp),
          'MD5(SESSION_ID)': Buffer.from(row.session),
          EVENT_NAME: Buffer.from(row.event),
          'MD5(USER_ID)': Buffer.from(row.user),
          ATTRIBUTES: row.attributes,
        };
        return Buffer.concat(header.flatMap((name, index) => (index === 0 ? [byName[name]!] : [Buffer.from('\t'), byName[name]!])));
      });

  test('TSV lake files: any header order, fields of any characters, ATTRIBUTES JSON with any whitespace or escape, spoiled lines', async () => {
    const file = fc
      .shuffledSubarray([...LAKE_COLUMNS], { minLength: LAKE_COLUMNS.length })
      .chain((header) =>
        fc.tuple(
          fc.constant(header),
          fc.array(lakeLine(header), { minLength: 1, maxLength: 12 }),
          fc.array(fc.boolean(), { minLength: 1 }),
          fc.boolean(),
        ),
      );
    await fc.assert(
      fc.asyncProperty(file, async ([header, lines, crlf, finalEnding]) => {
        const content = joinLines([Buffer.from(header.join('\t')), ...lines], crlf, finalEnding);
        const expected = new Map(fileLines(content).flatMap(({ no, bytes }) => (no === 1 ? [] : [[no, lakeLineExpected(bytes, header)] as const])));
        await expectFileLoads('day.tsv', content, 'tsv-lake', expected);
      }),
      params,
    );
  });

  /** A CSV field as written: quoted when it must be (a comma, quote, CR or LF) or when `quoted`. */
  const csvField = (value: string, quoted: boolean) => (quoted || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

  type CsvRecord =
    | { kind: 'valid'; fields: string[]; quoted: boolean[] }
    | { kind: 'count'; fields: string[] }
    | { kind: 'quote'; fields: string[]; at: number; bad: string }
    | { kind: 'utf8'; fields: string[] };

  /** A record of `columns` fields: valid, of another count, with a stray quote, or with bytes that are not UTF-8. */
  const csvRecord = (columns: number): fc.Arbitrary<CsvRecord> => {
    const fields = (count: number) => fc.array(anyString(), { minLength: count, maxLength: count });
    return fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(fields(columns), fc.array(fc.boolean(), { minLength: columns, maxLength: columns }))
          .map(([values, quoted]) => ({ kind: 'valid' as const, fields: values, quoted })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(columns + 1, Math.max(1, columns - 1))
          .filter((count) => count !== columns)
          .chain((count) => fields(count))
          .map((values) => ({ kind: 'count' as const, fields: values })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fields(columns), fc.nat(), fc.constantFrom('a"b', '"a"b', 'a"'))
          .map(([values, at, bad]) => ({ kind: 'quote' as const, fields: values, at: at % columns, bad })),
      },
      { weight: 1, arbitrary: fields(columns).map((values) => ({ kind: 'utf8' as const, fields: values })) },
    );
  };

  function csvRecordBytes(record: CsvRecord): Buffer {
    if (record.kind === 'quote')
      return Buffer.from(record.fields.map((value, index) => (index === record.at ? record.bad : csvField(value, true))).join(','));
    const text = record.fields.map((value, index) => csvField(value, record.kind === 'valid' && record.quoted[index] === true)).join(',');
    return record.kind === 'utf8' ? Buffer.concat([Buffer.from(text), Buffer.from([0xff])]) : Buffer.from(text);
  }

  test('CSV files: fields of any characters, quoted or not, spanning lines; records of another count, stray quotes, bad UTF-8', async () => {
    const headerName = anyString(6).filter((name) => name !== '' && !name.includes('\0'));
    const file = fc
      .uniqueArray(fc.oneof(headerName, fc.constant('__proto__')), { minLength: 1, maxLength: 4 })
      .chain((header) =>
        fc.tuple(
          fc.constant(header),
          fc.array(csvRecord(header.length), { minLength: 1, maxLength: 12 }),
          fc.array(fc.boolean(), { minLength: 1 }),
          fc.boolean(),
          fc.boolean(),
        ),
      );
    await fc.assert(
      fc.asyncProperty(file, async ([header, records, crlf, finalEnding, unterminated]) => {
        const headerRecord = Buffer.from(header.map((name) => csvField(name, true)).join(','));
        const recordBytes = records.map(csvRecordBytes);
        // an unterminated quote as the last record: the rest of the file is that one record
        const last = unterminated ? [Buffer.from('1,"never closed\nx,y')] : [];
        const content = joinLines([headerRecord, ...recordBytes, ...last], crlf, finalEnding);
        const expected = new Map<number, Expected>();
        let line = 1 + (headerRecord.toString().match(/\n/g) ?? []).length + 1;
        [...recordBytes, ...last].forEach((bytes, index) => {
          const record = records[index];
          // a record's bytes as the loader sees them: the CR of a CRLF ending dropped
          const trimmed = bytes.at(-1) === CR ? bytes.subarray(0, -1) : bytes;
          if (isBlank(trimmed)) expected.set(line, SKIPPED);
          else if (record?.kind === 'valid' && !bytes.includes(0)) {
            expected.set(line, { document: Object.fromEntries(header.map((name, column) => [name, record.fields[column]])) });
          } else expected.set(line, REJECTED);
          line += bytes.filter((byte) => byte === LF).length + 1;
        });
        await expectFileLoads('records.csv', content, 'csv', expected);
      }),
      params,
    );
  });

  /** Commits `bodies` as one batch and holds each message (by sequence) to what `expectedOf` says of its record. */
  async function expectMessagesLoad(format: 'ndjson' | 'tsv-lake', bodies: Buffer[], expectedOf: (record: Buffer) => Expected) {
    const batch = await commitMessages(db, format, bodies);
    const expected = new Map(
      bodies.map((body, index) => {
        const record = messageRecord(body);
        return [index + 1, Buffer.isBuffer(record) ? expectedOf(record) : record] as const;
      }),
    );
    const found = await differences(batch.uri, expected, { rows: batch.rows, rejects: batch.rejects });
    expect(found.wrong).toEqual([]);
    expect(found.counts.reported).toEqual(found.counts.expected);
    expect(found.stored).toEqual(found.counts.expected);
  }

  const messageEnding = fc.constantFrom('', '', '\n', '\r\n');
  const withEnding = (body: fc.Arbitrary<Buffer>) =>
    fc.tuple(body, messageEnding).map(([bytes, ending]) => Buffer.concat([bytes, Buffer.from(ending)]));

  test('NDJSON messages (the stream parse path): JSON spanning lines or not, any whitespace or escape, spoiled bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(withEnding(fc.oneof(jsonDocumentBytes(true), jsonDocumentBytes(false))), { minLength: 1, maxLength: 12 }),
        async (bodies) => {
          await expectMessagesLoad('ndjson', bodies, jsonLineExpected);
        },
      ),
      params,
    );
  });

  test('TSV lake messages (the stream parse path): lines in the standard column order, as a file holds them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(withEnding(lakeLine(LAKE_COLUMNS)), { minLength: 1, maxLength: 12 }), async (bodies) => {
        await expectMessagesLoad('tsv-lake', bodies, (record) => lakeLineExpected(record, LAKE_COLUMNS));
      }),
      params,
    );
  });
});
