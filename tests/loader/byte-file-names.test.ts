import { useDatabaseAndLakeFolders } from '../helpers/lake-folders';
import { utimesSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../core/log';
import { loadLake } from '../../loader/load-lake';
import { fileUri, pathOfFileUri } from '../../loader/sources/file-uri';
import { listLocalObjects } from '../../loader/sources/local-source';

// A file name is bytes: one that is not valid UTF-8 (Latin-1 from an old system, a cut
// multi-byte character) is listed, opened and loaded by those bytes, and its ledger URI
// percent-encodes them, reversibly: the same file is the same object run after run,
// and no other name shares its URI.
const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const lake = (tag: string, rows = 2) =>
  [HEADER, ...Array.from({ length: rows }, (_, i) => `2019-02-15 03:07:03.662 +0000\ts-${tag}-${i}\ttop_news_card_viewed\tu\t{"id":"a"}`)].join(
    '\n',
  ) + '\n';

const lakes = useDatabaseAndLakeFolders('elt-byte-names-');
const folder = lakes.folder;

/** The path of `name` (bytes) in `dir`. */
const bytePath = (dir: string, ...name: (string | number[])[]) =>
  Buffer.concat([Buffer.from(`${dir}/`), ...name.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part)))]);

async function ledger(uri: string) {
  const { rows } = await lakes
    .db()
    .pool.query<{ status: string; row_count: string | null; error: string | null }>(
      'select status, row_count, error from raw.loads where source_uri = $1 order by load_id',
      [uri],
    );
  return rows;
}

test('a file whose name is not valid UTF-8 loads, under a URI that percent-encodes the invalid bytes', async () => {
  const dir = folder();
  const latin1 = bytePath(dir, 'caf', [0xe9], '-2019-02-15.tsv'); // "café" in Latin-1
  writeFileSync(latin1, lake('latin1'));
  const summary = await loadLake(lakes.db().pool, listLocalObjects(dir), silentLogger);
  expect(summary).toMatchObject({ loaded: 1, failed: 0, rows: 2 });
  const uri = `${pathToFileURL(dir).href}/caf%E9-2019-02-15.tsv`;
  expect(summary.objects[0]?.uri).toBe(uri);
  expect(await ledger(uri)).toEqual([{ status: 'loaded', row_count: '2', error: null }]);
});

test('the same non-UTF-8 file is the same object at the next run: skipped unchanged, also after a touch (its content id decides)', async () => {
  const dir = folder();
  const path = bytePath(dir, [0xff, 0xfe], '.tsv');
  writeFileSync(path, lake('same'));
  expect(await loadLake(lakes.db().pool, listLocalObjects(dir), silentLogger)).toMatchObject({ loaded: 1 });
  expect(await loadLake(lakes.db().pool, listLocalObjects(dir), silentLogger)).toMatchObject({ loaded: 0, skipped: 1 });
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  expect(await loadLake(lakes.db().pool, listLocalObjects(dir), silentLogger)).toMatchObject({ loaded: 0, skipped: 1 });
  const [object] = listLocalObjects(dir);
  expect((await ledger(object!.uri)).map((row) => row.status)).toEqual(['loaded']);
});

test('names that differ only in invalid bytes, or an invalid byte against its valid-character look-alike or a literal "%FF", are distinct objects', async () => {
  const dir = folder();
  const names = [
    bytePath(dir, [0xff], '.tsv'),
    bytePath(dir, [0xfe], '.tsv'),
    bytePath(dir, 'ÿ.tsv'),
    bytePath(dir, '%FF.tsv'),
    bytePath(dir, [0xc3], '.tsv'),
  ];
  names.forEach((name, i) => writeFileSync(name, lake(`distinct-${i}`, i + 1)));
  const summary = await loadLake(lakes.db().pool, listLocalObjects(dir), silentLogger);
  expect(summary).toMatchObject({ loaded: 5, failed: 0, rows: 1 + 2 + 3 + 4 + 5 });
  const uris = summary.objects.map((o) => o.uri);
  expect(new Set(uris).size).toBe(5);
  // each URI leads back to exactly the bytes of its name
  expect(uris.map((uri) => pathOfFileUri(uri).toString('hex')).sort()).toEqual(names.map((name) => name.toString('hex')).sort());
});

test('file URIs: a valid UTF-8 path keeps the URI it always had; any bytes round-trip', () => {
  for (const path of ['/data/lake/2019-02-15.tsv', '/tmp/a b/c#d?e%f.tsv', '/tmp/café/ü\\x.tsv', '/tmp/emoji-😀.tsv']) {
    expect(fileUri(Buffer.from(path))).toBe(pathToFileURL(path).href);
    expect(pathOfFileUri(fileUri(Buffer.from(path))).toString()).toBe(path);
  }
  const hostile = Buffer.from([
    0x2f,
    0x74,
    0x2f,
    0xff,
    0x25,
    0x32,
    0x35,
    0xc3,
    0x0a,
    0x09,
    0x00 + 0x7f,
    0x80,
    0xed,
    0xa0,
    0x80,
    0x2e,
    0x74,
    0x73,
    0x76,
  ]);
  const uri = fileUri(hostile);
  expect(uri).toMatch(/^file:\/\/\/[\x21-\x7e]+$/); // printable ASCII: safe in a log line
  expect(pathOfFileUri(uri).equals(hostile)).toBe(true);
});
