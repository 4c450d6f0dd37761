import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { hasFormatExtension } from '../../loader/formats';
import { listLocalObjects } from '../../loader/sources/local-source';
import { loadObject } from '../../loader/load-object';
import { parseCsvHeader } from '../../loader/formats/csv';
import { parseCsvRecord, SplitCsvRecords } from '../../loader/formats/csv-records';
import type { Line } from '../../loader/stages/record-buffer';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

async function csvRecords(chunks: string[]): Promise<[number, string][]> {
  const records: [number, string][] = [];
  await pipeline(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), new SplitCsvRecords(), async (batches: AsyncIterable<Line[]>) => {
    for await (const batch of batches) for (const line of batch) records.push([line.no, line.bytes.toString()]);
  });
  return records;
}

test('CSV records: a line end inside quotes belongs to the field; records keep the line they start on', async () => {
  expect(await csvRecords(['id,note\r\n1,"two\nlines"\r\n', '2,"a ""quoted"" ', 'word"\n\n3,plain'])).toEqual([
    [1, 'id,note'],
    [2, '1,"two\nlines"'],
    [4, '2,"a ""quoted"" word"'],
    [6, '3,plain'],
  ]);
});

test.each([
  ['a,b,c', ['a', 'b', 'c']],
  ['"a,b",c', ['a,b', 'c']],
  ['"say ""hi""",', ['say "hi"', '']],
  ['"multi\nline",x', ['multi\nline', 'x']],
  ['', ['']],
])('CSV fields of %j', (record, fields) => {
  expect(parseCsvRecord(record)).toEqual({ fields });
});

test.each([
  ['"open,x', /never closes/],
  ['"a"b,c', /after a closing quote/],
  ['a"b,c', /quote inside the unquoted field/],
])('a malformed CSV record %j says why', (record, reason) => {
  const parsed = parseCsvRecord(record);
  expect('problem' in parsed && parsed.problem).toMatch(reason);
});

test('a CSV header loses a byte order mark at its start only: one inside a name is part of the name', () => {
  expect(parseCsvHeader(Buffer.from('\uFEFFid,note'))).toEqual(['id', 'note']);
  expect(parseCsvHeader(Buffer.from('\uFEFF"id",note'))).toEqual(['id', 'note']);
  expect(parseCsvHeader(Buffer.from('"\uFEFF",note'))).toEqual(['\uFEFF', 'note']);
  expect(parseCsvHeader(Buffer.from('id,"a\uFEFF","a"'))).toEqual(['id', 'a\uFEFF', 'a']);
});

test('file names choose the format, gzip included', () => {
  expect([
    hasFormatExtension('a.csv.gz', 'csv'),
    hasFormatExtension('a.jsonl', 'ndjson'),
    hasFormatExtension('a.ndjson.gz', 'ndjson'),
    hasFormatExtension('a.tsv', 'csv'),
  ]).toEqual([true, true, true, false]);
});

describe('loading CSV and NDJSON', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    dir = mkdtempSync(join(tmpdir(), 'elt-formats-'));
  });
  afterAll(() => db.drop());

  async function load(name: string, content: string | Buffer, format: 'csv' | 'ndjson') {
    writeFileSync(join(dir, name), content);
    const [object] = listLocalObjects(join(dir, name), format);
    return loadObject(db.pool, object!, { maxRejectRatio: 1 });
  }

  async function documents(uri: string) {
    const { rows } = await db.pool.query<{ line_no: number; event: unknown }>(
      "select e.line_no, e.event from raw.raw_events e join raw.loads l using (load_id) where l.source_uri = $1 and l.status = 'loaded' order by line_no",
      [uri],
    );
    return rows;
  }

  async function rejects(uri: string) {
    const { rows } = await db.pool.query<{ line_no: number; reason: string }>(
      'select line_no, reason from raw.rejected_rows where source_uri = $1 order by line_no',
      [uri],
    );
    return rows;
  }

  test('each CSV record becomes one document keyed by the header (strings), quoted commas, quotes and newlines included', async () => {
    const csv = 'interaction_id,product_id,note\n1,"p,1","said ""hi"""\n2,p2,"two\nlines"\n3,p3\n4,p4,é 😀\n';
    const result = await load('interactions.csv', csv, 'csv');
    expect(result).toMatchObject({ status: 'loaded', rows: 3, rejects: 1 });
    expect(await documents(result.uri)).toEqual([
      { line_no: 2, event: { interaction_id: '1', product_id: 'p,1', note: 'said "hi"' } },
      { line_no: 3, event: { interaction_id: '2', product_id: 'p2', note: 'two\nlines' } },
      { line_no: 6, event: { interaction_id: '4', product_id: 'p4', note: 'é 😀' } },
    ]);
    expect(await rejects(result.uri)).toEqual([{ line_no: 5, reason: 'expected 3 comma-separated fields, found 2' }]);
  });

  test('a CSV file without a usable header fails alone', async () => {
    const result = await load('no-header.csv', 'a,,b\n1,2,3\n', 'csv');
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/unexpected CSV header "a,,b"/);
  });

  test('each NDJSON line becomes its document as it is; a line that is not a JSON object is rejected with the reason', async () => {
    const ndjson = ['{"user_id":"u1","url":"https://x.example/a?b=1","n":1}', '[1,2]', '{"broken"', '', '{"user_id":"u2","note":"\\"q\\" é"}'].join(
      '\n',
    );
    const result = await load('web.ndjson.gz', gzipSync(ndjson), 'ndjson');
    expect(result).toMatchObject({ status: 'loaded', rows: 2, rejects: 2 });
    expect(await documents(result.uri)).toEqual([
      { line_no: 1, event: { user_id: 'u1', url: 'https://x.example/a?b=1', n: 1 } },
      { line_no: 5, event: { user_id: 'u2', note: '"q" é' } },
    ]);
    expect((await rejects(result.uri)).map((row) => [row.line_no, row.reason.replace(/ \(.*$/, '')])).toEqual([
      [2, 'the line is JSON but not an object'],
      [3, 'the line is not valid JSON'],
    ]);
  });

  test('loading the same NDJSON file again is a no-op, as for the lake files', async () => {
    const first = await load('again.jsonl', '{"a":1}\n', 'ndjson');
    const again = await load('again.jsonl', '{"a":1}\n', 'ndjson');
    expect([first.status, again.status]).toEqual(['loaded', 'skipped']);
  });
});
