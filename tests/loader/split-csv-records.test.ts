import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadObject } from '../../loader/load-object';
import { listLocalObjects } from '../../loader/sources/local-source';
import { parseCsvRecord, SplitCsvRecords } from '../../loader/formats/csv-records';
import type { Line } from '../../loader/stages/record-buffer';
import { createTestDatabase } from '../helpers/test-database';

async function records(chunks: (string | Buffer)[], maxRecordBytes?: number): Promise<Line[]> {
  const found: Line[] = [];
  await pipeline(
    Readable.from(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk))),
    new SplitCsvRecords(maxRecordBytes),
    async (batches: AsyncIterable<Line[]>) => {
      for await (const batch of batches) for (const line of batch) found.push({ ...line, bytes: Buffer.from(line.bytes) });
    },
  );
  return found;
}

const texts = (lines: Line[]) => lines.map((line) => [line.no, line.bytes.toString()]);
const fieldsOf = (record: string) => {
  const parsed = parseCsvRecord(record);
  return 'fields' in parsed ? parsed.fields : parsed.problem;
};

test('a stray quote inside an unquoted field does not open a quote: the next lines stay records of their own', async () => {
  expect(texts(await records(['a,b"c,d\n1,2,3\n4,5,6\n']))).toEqual([
    [1, 'a,b"c,d'],
    [2, '1,2,3'],
    [3, '4,5,6'],
  ]);
  expect(fieldsOf('a,b"c,d')).toBe('a quote inside the unquoted field 2');
});

test('a quote at the end of an unquoted field does not open a quote either', async () => {
  expect(texts(await records(['ab",c\n1,2\n']))).toEqual([
    [1, 'ab",c'],
    [2, '1,2'],
  ]);
  expect(fieldsOf('ab",c')).toBe('a quote inside the unquoted field 1');
});

test('a quote opens only at the start of a field, after a comma too', async () => {
  expect(texts(await records(['x,"a\nb",y\nz\n']))).toEqual([
    [1, 'x,"a\nb",y'],
    [3, 'z'],
  ]);
});

test('text after a closing quote ends the quoted field for the splitter: the line end after it ends the record', async () => {
  expect(texts(await records(['"a"b,c\n1,2\n']))).toEqual([
    [1, '"a"b,c'],
    [2, '1,2'],
  ]);
  expect(fieldsOf('"a"b,c')).toBe('unexpected character after a closing quote in field 1');
});

const ESCAPED = 'id,note\n1,"say ""hi""\nnow"\n2,""""\n3,x\n';
const ESCAPED_RECORDS = [
  [1, 'id,note'],
  [2, '1,"say ""hi""\nnow"'],
  [4, '2,""""'],
  [5, '3,x'],
];

test('an escaped quote "" split across a chunk boundary, at every split position, gives the same records', async () => {
  for (let at = 0; at <= ESCAPED.length; at += 1) {
    expect([at, texts(await records([ESCAPED.slice(0, at), ESCAPED.slice(at)]))]).toEqual([at, ESCAPED_RECORDS]);
  }
});

test('fed one byte a chunk, the records are the same', async () => {
  expect(texts(await records([...Buffer.from(ESCAPED)].map((byte) => Buffer.from([byte]))))).toEqual(ESCAPED_RECORDS);
  expect(fieldsOf('1,"say ""hi""\nnow"')).toEqual(['1', 'say "hi"\nnow']);
  expect(fieldsOf('2,""""')).toEqual(['2', '"']);
});

test('a CRLF inside quotes belongs to the field; the CRLF ending the record is dropped', async () => {
  const found = texts(await records(['1,"a\r\nb"\r\n2,c\r\n']));
  expect(found).toEqual([
    [1, '1,"a\r\nb"'],
    [3, '2,c'],
  ]);
  expect(fieldsOf('1,"a\r\nb"')).toEqual(['1', 'a\r\nb']);
});

test('a quoted field at the end of the file without a final newline is a record', async () => {
  expect(texts(await records(['1,x\n2,"last"']))).toEqual([
    [1, '1,x'],
    [2, '2,"last"'],
  ]);
  expect(texts(await records(['1,"two\nlines"']))).toEqual([[1, '1,"two\nlines"']]);
  expect(fieldsOf('2,"last"')).toEqual(['2', 'last']);
});

test('an unterminated quote buffers at most maxRecordBytes: the rest of the file is one record, cut and flagged with its real length', async () => {
  const rest = '2,b\n'.repeat(10_000);
  const text = `1,a\n3,"open\n${rest}`;
  const found = await records([text.slice(0, 7), text.slice(7, 5000), text.slice(5000)], 64);
  expect(found.map((line) => [line.no, line.bytes.length, line.truncatedFrom])).toEqual([
    [1, 3, undefined],
    [2, 64, text.length - 4],
  ]);
});

test('loading a CSV file with a stray quote rejects that one line and loads the lines after it', async () => {
  const db = await createTestDatabase({ migrated: true });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'elt-csv-quote-'));
    writeFileSync(join(dir, 'stray.csv'), 'a,b,c\nx,y"z,w\n1,2,3\n4,5,6\n');
    const [object] = listLocalObjects(join(dir, 'stray.csv'), 'csv');
    const result = await loadObject(db.pool, object!, { maxRejectRatio: 1 });
    expect(result).toMatchObject({ status: 'loaded', rows: 2, rejects: 1 });
    const { rows } = await db.pool.query<{ line_no: number; reason: string }>('select line_no, reason from raw.rejected_rows where source_uri = $1', [
      result.uri,
    ]);
    expect(rows).toEqual([{ line_no: 2, reason: 'a quote inside the unquoted field 2' }]);
  } finally {
    await db.drop();
  }
});
