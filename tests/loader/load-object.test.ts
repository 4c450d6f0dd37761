import { mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listLocalObjects } from '../../loader/sources/local-source';
import { loadObject } from '../../loader/load-object';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const TS = '2019-02-15 03:07:03.662 +0000';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  dir = mkdtempSync(join(tmpdir(), 'elt-load-'));
});
afterAll(() => db.drop());

function writeLake(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function load(path: string, options: { allowDuplicates?: boolean } = {}) {
  const [object] = listLocalObjects(path);
  return loadObject(db.pool, object!, { maxRejectRatio: 1, ...options });
}

async function eventsOf(uri: string) {
  const { rows } = await db.pool.query<{ line_no: number; event: Record<string, unknown> }>(
    `select e.line_no, e.event from raw.raw_events e join raw.loads l using (load_id)
      where l.source_uri = $1 and l.status = 'loaded' order by e.line_no`,
    [uri],
  );
  return rows;
}

async function rejectsOf(uri: string) {
  const { rows } = await db.pool.query<{ line_no: number; raw_text: string; reason: string; raw_bytes: Buffer | null }>(
    'select line_no, raw_text, reason, raw_bytes from raw.rejected_rows where source_uri = $1 order by line_no',
    [uri],
  );
  return rows;
}

test('escapes, UTF-8 and emoji in ATTRIBUTES reach jsonb with the values JSON.parse gives', async () => {
  const attributes = '{"title": "say \\"hi\\" \\\\ to\\nyou \\u00e9 é ß 中文 😀 \\ud83d\\ude00", "n": 1.50, "nested": {"a": [1, "x\\ty"]}}';
  const path = writeLake('escapes.tsv', `${HEADER}\n${TS}\ts1\tarticle_viewed\tu1\t${attributes}\n`);
  const result = await load(path);
  expect(result).toMatchObject({ status: 'loaded', rows: 1, rejects: 0 });
  const [event] = await eventsOf(result.uri);
  expect(event?.event.ATTRIBUTES).toEqual(JSON.parse(attributes));
  const { rows } = await db.pool.query<{ title: string }>(
    "select event -> 'ATTRIBUTES' ->> 'title' as title from raw.raw_events e join raw.loads l using (load_id) where l.source_uri = $1",
    [result.uri],
  );
  expect(rows[0]?.title).toBe('say "hi" \\ to\nyou é é ß 中文 😀 😀');
});

test('CRLF endings, blank lines and a missing final newline load every row with its physical line number', async () => {
  const path = writeLake('crlf.tsv', `${HEADER}\r\n${TS}\ts1\te\tu1\t{}\r\n\r\n${TS}\ts2\te\tu2\t{"a": 1}`);
  const result = await load(path);
  expect(result).toMatchObject({ status: 'loaded', rows: 2, rejects: 0 });
  expect((await eventsOf(result.uri)).map((e) => [e.line_no, e.event['MD5(SESSION_ID)']])).toEqual([
    [2, 's1'],
    [4, 's2'],
  ]);
});

test('each reject reason lands in raw.rejected_rows with line number, raw text and reason, and good rows still load', async () => {
  const lines = [
    HEADER,
    `${TS}\ts1\te\tu1\t{}`,
    `${TS}\ts1\te\tu1`,
    `now\ts1\te\tu1\t{}`,
    `${TS}\ts1\te\tu1\t{"broken"`,
    `${TS}\ts1\te\tu1\t[1]`,
    `${TS}\ts2\te\tu2\t{}`,
  ];
  const result = await load(writeLake('rejects.tsv', `${lines.join('\n')}\n`));
  expect(result).toMatchObject({ status: 'loaded', rows: 2, rejects: 4 });
  expect((await rejectsOf(result.uri)).map((r) => [r.line_no, r.raw_text, r.reason.replace(/ \(.*\)$/, '')])).toEqual([
    [3, lines[2], 'expected 5 tab-separated fields, found 4'],
    [4, lines[3], 'TIMESTAMP "now" is not a date and time with a UTC offset'],
    [5, lines[4], 'ATTRIBUTES is not valid JSON'],
    [6, lines[5], 'ATTRIBUTES is JSON but not an object'],
  ]);
  const { rows } = await db.pool.query("select row_count, reject_count from raw.loads where source_uri = $1 and status = 'loaded'", [result.uri]);
  expect(rows).toEqual([{ row_count: '2', reject_count: '4' }]);
});

test('a row that is not UTF-8 is rejected and its exact bytes are kept', async () => {
  const bad = Buffer.concat([Buffer.from(`${TS}\ts1\te\tu1\t{"t": "`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
  const content = Buffer.concat([Buffer.from(`${HEADER}\n`), bad, Buffer.from('\n')]);
  const result = await load(writeLake('latin.tsv', content));
  const [reject] = await rejectsOf(result.uri);
  expect(reject?.reason).toBe('line is not valid UTF-8');
  expect(reject?.raw_bytes?.equals(bad)).toBe(true);
});

test('a gzip file loads the same rows as the plain file (loaded beside it only with allowDuplicates: it is the same content)', async () => {
  const content = `${HEADER}\n${TS}\ts1\te\tu1\t{"a": "é"}\n${TS}\ts2\te\tu2\t{}\n`;
  const plain = await load(writeLake('same.tsv', content));
  const gzipped = await load(writeLake('same.tsv.gz', gzipSync(content)), { allowDuplicates: true });
  expect(gzipped).toMatchObject({ status: 'loaded', rows: 2 });
  expect(await eventsOf(gzipped.uri)).toEqual(await eventsOf(plain.uri));
});

test('loading an unchanged file again is a no-op', async () => {
  const path = writeLake('again.tsv', `${HEADER}\n${TS}\ts1\te\tu1\t{}\nbad\n`);
  const first = await load(path);
  const second = await load(path);
  expect(second).toMatchObject({ status: 'skipped', rows: 0 });
  expect(await eventsOf(first.uri)).toHaveLength(1);
  expect(await rejectsOf(first.uri)).toHaveLength(1);
  const { rows } = await db.pool.query('select status from raw.loads where source_uri = $1', [first.uri]);
  expect(rows).toEqual([{ status: 'loaded' }]);
});

test('a changed file replaces the rows and rejects of its earlier load', async () => {
  const path = writeLake('changing.tsv', `${HEADER}\n${TS}\told\te\tu1\t{}\nbad old\n`);
  await load(path);
  const second = await load(writeLake('changing.tsv', `${HEADER}\n${TS}\tnew1\te\tu1\t{}\n${TS}\tnew2\te\tu1\t{}\n`));
  expect(second).toMatchObject({ status: 'loaded', replaced: true, rows: 2 });
  expect((await eventsOf(second.uri)).map((e) => e.event['MD5(SESSION_ID)'])).toEqual(['new1', 'new2']);
  expect(await rejectsOf(second.uri)).toEqual([]);
  const { rows } = await db.pool.query('select status from raw.loads where source_uri = $1 order by load_id', [second.uri]);
  expect(rows).toEqual([{ status: 'replaced' }, { status: 'loaded' }]);
});

test('a file whose header is wrong fails alone, leaves no rows, and is recorded as failed', async () => {
  const result = await load(writeLake('wrong-header.tsv', `a\tb\n${TS}\ts1\te\tu1\t{}\n`));
  expect(result.status).toBe('failed');
  expect(result.error).toMatch(/^unexpected header "a\\tb"/);
  expect(await eventsOf(result.uri)).toEqual([]);
  const { rows } = await db.pool.query('select status, error from raw.loads where source_uri = $1', [result.uri]);
  expect(rows).toEqual([{ status: 'failed', error: result.error }]);
});

test('a corrupt gzip file fails with the file named and leaves no rows', async () => {
  const result = await load(writeLake('corrupt.tsv.gz', Buffer.from('this is not gzip')));
  expect(result.status).toBe('failed');
  expect(result.error).toMatch(/incorrect header check|invalid/i);
  expect(await eventsOf(result.uri)).toEqual([]);
});

test('an empty file and a header-only file load zero rows', async () => {
  expect(await load(writeLake('empty.tsv', ''))).toMatchObject({ status: 'loaded', rows: 0, rejects: 0 });
  expect(await load(writeLake('header-only.tsv', `${HEADER}\n`))).toMatchObject({ status: 'loaded', rows: 0, rejects: 0 });
});

test('a failed load after a good one keeps the good rows: the database is never half-written', async () => {
  const path = writeLake('flip.tsv', `${HEADER}\n${TS}\tgood\te\tu1\t{}\n`);
  const first = await load(path);
  const failed = await load(writeLake('flip.tsv', `not the header\n${TS}\tx\te\tu1\t{}\n`));
  expect(failed.status).toBe('failed');
  expect((await eventsOf(first.uri)).map((e) => e.event['MD5(SESSION_ID)'])).toEqual(['good']);
});

test('an unchanged file (same size and modification time) is skipped without being read; a touched one is hashed, then skipped', async () => {
  const path = writeLake('mtime.tsv', `${HEADER}\n${TS}\ts1\te\tu1\t{}\n`);
  const first = await load(path);
  expect(first.status).toBe('loaded');
  // same bytes read again would be skipped by checksum anyway: prove the file is not read at all
  const [object] = listLocalObjects(path);
  const unread = { ...object!, contentId: () => Promise.reject(new Error('read')), open: () => Promise.reject(new Error('read')) };
  expect(await loadObject(db.pool, unread, { maxRejectRatio: 1 })).toMatchObject({ status: 'skipped' });
  const later = new Date(statSync(path).mtimeMs + 60_000);
  utimesSync(path, later, later);
  expect(await load(path)).toMatchObject({ status: 'skipped' });
});
