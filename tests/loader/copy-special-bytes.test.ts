import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAKE_COLUMNS } from '../../loader/formats/tsv-lake';
import { commitMessages, documentsByLine, loadFile, rejectsByLine, sameJson } from '../helpers/loaded-documents';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// The loader feeds COPY in CSV mode with a tab as delimiter and \x01 as quote: a tab, a
// CR, an LF, a \x01 (and a backslash, special in COPY's text mode) in a row would end a
// field or the row. Each such byte, wherever an input may hold it, must reach jsonb as
// the input means it, or reject its row alone: never fail the file.

const TAB = '\t';
const CR = '\r';

/** A JSON object with `§` at every place JSON allows whitespace, and strings holding every COPY-special character as an escape. */
const TEMPLATE =
  '§{§"k"§:§"v"§,§"a\\t\\\\b"§:§[§1§,§-0.5e1§,§{§"b"§:§null§}§,§[§]§,§{§}§]§,§"t"§:§true§,§"f"§:§false§,' +
  '§"s"§:§"\\t\\n\\r\\\\\\"\\/\\u0009\\u000a\\u000D\\u005c\\u0001\\\\.é"§}§';
const PLACES = TEMPLATE.split('§').length - 1;

/** The template with `space` at its `place`-th marker (every marker when undefined), the others empty. */
function spaced(space: string, place?: number): string {
  let index = -1;
  return TEMPLATE.replace(/§/g, () => {
    index += 1;
    return place === undefined || place === index ? space : '';
  });
}

/** One document per whitespace byte and place, and each byte at every place at once. */
function documentsSpacedWith(spaces: string[]): string[] {
  return spaces.flatMap((space) => [...Array.from({ length: PLACES }, (_, place) => spaced(space, place)), spaced(space)]);
}

const TS = '2019-02-15 03:07:03.662 +0000';

describe('bytes COPY treats specially reach jsonb as the input means them', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    dir = mkdtempSync(join(tmpdir(), 'elt-copy-bytes-'));
  });
  afterAll(() => db.drop());

  /** Every line of `lines` (line i+1) loaded as `expected(line)`, except the lines `rejected` names (by number, with a reason matching). */
  async function expectLoaded(uri: string, lines: string[], expected: (line: string) => unknown, rejected: Record<number, RegExp> = {}) {
    const documents = await documentsByLine(db, uri);
    const rejects = await rejectsByLine(db, uri);
    const wrong = lines.flatMap((line, index): { no: number; line: string; loaded?: unknown; reject?: string }[] => {
      const no = index + 1;
      if (rejected[no]) return rejected[no].test(rejects.get(no) ?? '') ? [] : [{ no, line, reject: rejects.get(no) ?? 'loaded' }];
      return sameJson(documents.get(no), expected(line)) ? [] : [{ no, line, loaded: documents.get(no), reject: rejects.get(no) }];
    });
    expect(wrong).toEqual([]);
  }

  test('NDJSON: a tab or a CR as JSON whitespace, at every place JSON allows it, loads the line as JSON.parse reads it', async () => {
    const lines = [...documentsSpacedWith([TAB, CR, ' ', '\t\r \t']), '{"raw":"\x01"}', '{"raw":"a\tb"}'];
    const result = await loadFile(db, dir, 'whitespace.ndjson', lines.join('\n'), 'ndjson');
    expect(result).toMatchObject({ status: 'loaded', rows: lines.length - 2, rejects: 2 });
    // a raw control character inside a string is not JSON: that row alone is rejected
    await expectLoaded(result.uri, lines, (line) => JSON.parse(line), {
      [lines.length - 1]: /not valid JSON/,
      [lines.length]: /not valid JSON/,
    });
  });

  test('NDJSON messages: a tab or a CR as JSON whitespace anywhere loads; a line break inside a message rejects it alone', async () => {
    const bodies = [...documentsSpacedWith([TAB, CR, '\t\r \t']), spaced('\n', 3), '{"raw":"\x01"}'];
    const batch = await commitMessages(
      db,
      'ndjson',
      bodies.map((body) => Buffer.from(body)),
    );
    expect(batch).toMatchObject({ rows: bodies.length - 2, rejects: 2 });
    await expectLoaded(batch.uri, bodies, (body) => JSON.parse(body), {
      [bodies.length - 1]: /line break/,
      [bodies.length]: /not valid JSON/,
    });
  });

  /** A lake line of `fields` (TIMESTAMP, MD5(SESSION_ID), EVENT_NAME, MD5(USER_ID), ATTRIBUTES) and the event it means. */
  const lakeLine = (session: string, attributes: string) => [TS, session, 'view', 'u\\1', attributes].join(TAB);
  const lakeEvent = (line: string) => {
    const fields = line.split(TAB);
    return Object.fromEntries(LAKE_COLUMNS.map((name, index) => [name, name === 'ATTRIBUTES' ? JSON.parse(fields[index]!) : fields[index]]));
  };
  // the lake's ATTRIBUTES may hold a CR as whitespace (a tab ends the field, an LF the line); the
  // other fields any character but those, a backslash, a CR, a \x01 and `\.` included
  const lakeLines = [
    ...documentsSpacedWith([CR, ' ']).map((attributes) => lakeLine('s', attributes)),
    lakeLine('a\rb\\.\x01"c', '{}'),
    lakeLine('\\.', '{"x":"\\\\."}'),
    lakeLine('s', spaced(TAB, 2)),
  ];

  test('TSV lake: a CR as whitespace anywhere in ATTRIBUTES, and a CR, backslash or \\x01 in any field, load as written', async () => {
    const header = LAKE_COLUMNS.join(TAB);
    const result = await loadFile(db, dir, 'whitespace.tsv', [header, ...lakeLines].join('\n'), 'tsv-lake');
    expect(result).toMatchObject({ status: 'loaded', rows: lakeLines.length - 1, rejects: 1 });
    // a tab inside ATTRIBUTES splits the line into six fields: that row alone is rejected
    await expectLoaded(result.uri, [header, ...lakeLines], lakeEvent, {
      1: /^$/,
      [lakeLines.length + 1]: /expected 5 tab-separated fields, found 6/,
    });
  });

  test('TSV lake messages: the same lines load as they do from a file', async () => {
    const batch = await commitMessages(
      db,
      'tsv-lake',
      lakeLines.map((line) => Buffer.from(line)),
    );
    expect(batch).toMatchObject({ rows: lakeLines.length - 1, rejects: 1 });
    await expectLoaded(batch.uri, lakeLines, lakeEvent, { [lakeLines.length]: /expected 5 tab-separated fields/ });
  });

  test('CSV: quoted fields holding a tab, CR, LF, CRLF, backslash, \\x01, `\\.` or a JSON text with them load as those strings', async () => {
    const values = ['a\tb', 'a\rb', 'a\nb', 'a\r\nb', '\\', '\\.', '\x01', '\t', spaced('\t\r\n')];
    const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
    const records = values.map((value, index) => `${index},${quote(value)},x\\y`);
    const result = await loadFile(db, dir, 'special.csv', ['id,value,other', ...records].join('\r\n'), 'csv');
    expect(result).toMatchObject({ status: 'loaded', rows: values.length, rejects: 0 });
    const documents = await documentsByLine(db, result.uri);
    expect([...documents.values()].sort((a, b) => Number((a as { id: string }).id) - Number((b as { id: string }).id))).toEqual(
      values.map((value, index) => ({ id: String(index), value, other: 'x\\y' })),
    );
  });
});
