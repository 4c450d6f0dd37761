import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LakeFormat } from '../../loader/formats';
import { DEFAULT_LOAD_OPTIONS } from '../../loader/load-lake';
import { loadObject } from '../../loader/load-object';
import { listLocalObjects } from '../../loader/sources/local-source';
import { SplitCsvRecords } from '../../loader/formats/csv-records';
import type { Line } from '../../loader/stages/record-buffer';
import { SplitLines } from '../../loader/stages/split-lines';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

/** Lines made only of spaces, tabs and CRs: blank, like an empty line (docs/concepts/layers-and-grain.md, "Choices where the spec leaves one open"). */
const WHITESPACE_LINES = ['   ', '\t', '\t\t\t\t', ' \t \r', '\r', '\r\r'];

async function split(splitter: Transform, text: string): Promise<[number, string][]> {
  const records: [number, string][] = [];
  await pipeline(Readable.from([Buffer.from(text)]), splitter, async (batches: AsyncIterable<Line[]>) => {
    for await (const batch of batches) for (const line of batch) records.push([line.no, line.bytes.toString()]);
  });
  return records;
}

test.each([
  ['lines (tsv-lake, ndjson)', () => new SplitLines()],
  ['CSV records', () => new SplitCsvRecords()],
])('%s: lines of only spaces, tabs or CRs are skipped as blank, still counted in line numbers', async (_name, splitter) => {
  const text = `a\n${WHITESPACE_LINES.join('\n')}\nb\r\n \t\n`;
  expect(await split(splitter(), text)).toEqual([
    [1, 'a'],
    [2 + WHITESPACE_LINES.length, 'b'],
  ]);
});

test.each([
  ['lines (tsv-lake, ndjson)', () => new SplitLines()],
  ['CSV records', () => new SplitCsvRecords()],
])('%s: a last line of only whitespace, without a line ending, is blank too', async (_name, splitter) => {
  expect(await split(splitter(), 'a\n \t ')).toEqual([[1, 'a']]);
});

test.each([
  ['lines (tsv-lake, ndjson)', () => new SplitLines()],
  ['CSV records', () => new SplitCsvRecords()],
])('%s: whitespace around other characters is kept: only a line of nothing else is blank', async (_name, splitter) => {
  expect(await split(splitter(), ' x \n\tx\t\n')).toEqual([
    [1, ' x '],
    [2, '\tx\t'],
  ]);
});

test('a CSV record of a quoted field holding only whitespace is not blank', async () => {
  expect(await split(new SplitCsvRecords(), '" "\n"\t\n"\n')).toEqual([
    [1, '" "'],
    [2, '"\t\n"'],
  ]);
});

describe('loading files with whitespace-only lines, per format, at the default 5% reject limit', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    dir = mkdtempSync(join(tmpdir(), 'elt-blank-lines-'));
  });
  afterAll(() => db.drop());

  /** 30 data rows, then the whitespace-only lines, one more row, and a trailing whitespace line. */
  async function loadWith(name: string, format: LakeFormat, header: string | undefined, row: (index: number) => string) {
    const rows = Array.from({ length: 30 }, (_, index) => row(index));
    const lines = [...(header === undefined ? [] : [header]), ...rows, ...WHITESPACE_LINES, row(30), ' '];
    writeFileSync(join(dir, name), lines.join('\n'));
    const [object] = listLocalObjects(join(dir, name), format);
    const result = await loadObject(db.pool, object!, { maxRejectRatio: DEFAULT_LOAD_OPTIONS.maxRejectRatio });
    const { rows: last } = await db.pool.query<{ line_no: number }>(
      'select max(e.line_no) as line_no from raw.raw_events e join raw.loads l using (load_id) where l.source_uri = $1',
      [result.uri],
    );
    return { result, lastLineNo: last[0]?.line_no, firstRowLine: header === undefined ? 1 : 2 };
  }

  test('tsv-lake: loaded, no rejects, the row after them keeps its physical line number', async () => {
    const { result, lastLineNo } = await loadWith(
      '2019-02-15.tsv',
      'tsv-lake',
      'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES',
      (index) => `2019-02-15 03:07:${String(index % 60).padStart(2, '0')}.000 +0000\ts${index}\tarticle_viewed\tu1\t{"id": "a${index}"}`,
    );
    expect(result).toMatchObject({ status: 'loaded', rows: 31, rejects: 0 });
    expect(lastLineNo).toBe(1 + 30 + WHITESPACE_LINES.length + 1);
  });

  test('csv: loaded, no rejects, the row after them keeps its physical line number', async () => {
    const { result, lastLineNo } = await loadWith('blank.csv', 'csv', 'id,note', (index) => `${index},n${index}`);
    expect(result).toMatchObject({ status: 'loaded', rows: 31, rejects: 0 });
    expect(lastLineNo).toBe(1 + 30 + WHITESPACE_LINES.length + 1);
  });

  test('ndjson: loaded, no rejects, the row after them keeps its physical line number', async () => {
    const { result, lastLineNo } = await loadWith('blank.ndjson', 'ndjson', undefined, (index) => `{"n": ${index}}`);
    expect(result).toMatchObject({ status: 'loaded', rows: 31, rejects: 0 });
    expect(lastLineNo).toBe(30 + WHITESPACE_LINES.length + 1);
  });
});
