import { parseHeader, parseRow, type Header } from '../../loader/formats/tsv-lake';
import { parsedRow } from '../../loader/stages/parse-records';

const HEADER_LINE = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const header: Header = parseHeader(Buffer.from(HEADER_LINE));
const TS = '2019-02-15 03:07:03.662 +0000';

function row(...fields: string[]): Buffer {
  return Buffer.from(fields.join('\t'));
}

function reasonOf(bytes: Buffer): string {
  const parsed = parsedRow(parseRow, bytes, header);
  if (parsed.ok) throw new Error('expected a reject');
  return parsed.reason;
}

test('a valid row becomes one JSON object keyed by the header, ATTRIBUTES nested', () => {
  const parsed = parsedRow(parseRow, row(TS, 's1', 'article_viewed', 'u1', '{"id": "a1", "n": 1}'), header);
  expect(parsed.ok && JSON.parse(parsed.json)).toEqual({
    TIMESTAMP: TS,
    'MD5(SESSION_ID)': 's1',
    EVENT_NAME: 'article_viewed',
    'MD5(USER_ID)': 'u1',
    ATTRIBUTES: { id: 'a1', n: 1 },
  });
});

test('ATTRIBUTES text is embedded verbatim: escapes are neither re-escaped nor unescaped', () => {
  const attributes = '{"title": "a \\"quoted\\" \\\\ back\\nslash \\u00e9 é 😀"}';
  const parsed = parsedRow(parseRow, row(TS, 's', 'e', 'u', attributes), header);
  expect(parsed.ok && parsed.json.endsWith(`"ATTRIBUTES":${attributes}}`)).toBe(true);
});

test('the header may list the five columns in another order', () => {
  const reordered = parseHeader(Buffer.from('MD5(USER_ID)\tATTRIBUTES\tTIMESTAMP\tEVENT_NAME\tMD5(SESSION_ID)'));
  const parsed = parsedRow(parseRow, row('u1', '{}', TS, 'e', 's1'), reordered);
  expect(parsed.ok && JSON.parse(parsed.json)).toMatchObject({ TIMESTAMP: TS, 'MD5(USER_ID)': 'u1', ATTRIBUTES: {} });
});

test('a UTF-8 byte order mark before the header is ignored', () => {
  expect(parseHeader(Buffer.from(`\uFEFF${HEADER_LINE}`)).columns[0]).toBe('TIMESTAMP');
});

test('a header that is not the lake header fails the file with a message quoting it', () => {
  expect(() => parseHeader(Buffer.from('a\tb\tc'))).toThrow(/^unexpected header "a\\tb\\tc": expected the 5 tab-separated columns TIMESTAMP, /);
});

test('reject: fewer than 5 fields', () => {
  expect(reasonOf(row(TS, 's', 'e', 'u'))).toBe('expected 5 tab-separated fields, found 4');
});

test('reject: more than 5 fields', () => {
  expect(reasonOf(row(TS, 's', 'e', 'u', '{}', 'extra'))).toBe('expected 5 tab-separated fields, found 6');
});

test('reject: a timestamp without offset', () => {
  expect(reasonOf(row('2019-02-15 03:07:03', 's', 'e', 'u', '{}'))).toMatch(/not a date and time with a UTC offset/);
});

test('reject: an impossible date', () => {
  expect(reasonOf(row('2019-02-30 03:07:03 +0000', 's', 'e', 'u', '{}'))).toMatch(/not a valid calendar date/);
});

test('reject: ATTRIBUTES that is not valid JSON', () => {
  expect(reasonOf(row(TS, 's', 'e', 'u', '{"id": "a'))).toMatch(/^ATTRIBUTES is not valid JSON/);
});

test.each([
  ['[1,2]', 'array'],
  ['"text"', 'string'],
  ['42', 'number'],
  ['null', 'null'],
])('reject: ATTRIBUTES %s is JSON but not an object', (attributes, kind) => {
  expect(reasonOf(row(TS, 's', 'e', 'u', attributes))).toBe(`ATTRIBUTES is JSON but not an object (${kind})`);
});

test('reject: \\u0000 in ATTRIBUTES, which jsonb cannot store', () => {
  expect(reasonOf(row(TS, 's', 'e', 'u', '{"t": "a\\u0000b"}'))).toMatch(/\\u0000/);
});

test('an escaped backslash followed by u0000 is plain text, not a NUL escape', () => {
  expect(parsedRow(parseRow, row(TS, 's', 'e', 'u', '{"t": "a\\\\u0000b"}'), header).ok).toBe(true);
});

test('reject: an unpaired surrogate escape, which jsonb cannot store', () => {
  expect(reasonOf(row(TS, 's', 'e', 'u', '{"t": "\\ud800"}'))).toMatch(/surrogate/);
});

test('a paired surrogate escape (an emoji) is accepted', () => {
  expect(parsedRow(parseRow, row(TS, 's', 'e', 'u', '{"t": "\\ud83d\\ude00"}'), header).ok).toBe(true);
});

test('reject: bytes that are not UTF-8', () => {
  expect(reasonOf(Buffer.concat([row(TS, 's', 'e', 'u', '{"t": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]))).toBe('line is not valid UTF-8');
});

test('reject: a NUL byte in the line', () => {
  expect(reasonOf(row(TS, 's\u0000', 'e', 'u', '{}'))).toBe('line contains a NUL byte');
});

test('a raw CR inside ATTRIBUTES whitespace is kept out of the COPY row', () => {
  const parsed = parsedRow(parseRow, row(TS, 's', 'e', 'u', '{"a": 1,\r "b": 2}'), header);
  expect(parsed.ok && parsed.json.includes('\r')).toBe(false);
  expect(parsed.ok && JSON.parse(parsed.json).ATTRIBUTES).toEqual({ a: 1, b: 2 });
});

test('control characters and quotes in the other fields are JSON-escaped', () => {
  const parsed = parsedRow(parseRow, row(TS, 'se"ss\rion', 'e\u0001', 'u', '{}'), header);
  expect(parsed.ok && JSON.parse(parsed.json)).toMatchObject({ 'MD5(SESSION_ID)': 'se"ss\rion', EVENT_NAME: 'e\u0001' });
  expect(parsed.ok && ['\r', '\u0001', '\t'].some((c) => parsed.json.includes(c))).toBe(false);
});
