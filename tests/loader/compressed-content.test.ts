import { useDatabaseAndLakeFolders } from '../helpers/lake-folders';
import { createHash } from 'node:crypto';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../../core/log';
import { loadLake } from '../../loader/load-lake';
import { listLocalObjects } from '../../loader/sources/local-source';

// Compressing or renaming old lake files is housekeeping: an object's content id is the
// hash of its decompressed bytes, so a day's .tsv.gz is the same content as its .tsv and
// counts once; when the .tsv is gone, the .gz stands for its load, and a real change of
// the .gz's content replaces that load's rows.
const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
function day(tag: string, rows: number): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i += 1) lines.push(`2019-11-04 03:07:03.662 +0000\ts-${tag}-${i}\ttop_news_card_viewed\tu-${tag}\t{"id":"a-${i}"}`);
  return `${lines.join('\n')}\n`;
}

const lakes = useDatabaseAndLakeFolders('elt-compressed-');
const folder = lakes.folder;

/** `gzip file`: the .gz comes, the original goes. */
function gzipInPlace(path: string): string {
  writeFileSync(`${path}.gz`, gzipSync(readFileSync(path)));
  unlinkSync(path);
  return `${path}.gz`;
}

const uri = (path: string) => pathToFileURL(path).href;
const load = (dir: string, concurrency = 2, options: { allowDuplicates?: boolean } = {}) =>
  loadLake(lakes.db().pool, listLocalObjects(dir), silentLogger, { concurrency, retryDelayMs: 10, ...options });

/** Rows of loaded objects, all URIs together: what the marts count. */
async function countedRows(dir: string): Promise<number> {
  const { rows } = await lakes
    .db()
    .pool.query<{ n: number }>(
      "select count(*)::int as n from raw.raw_events e join raw.loads l using (load_id) where l.status = 'loaded' and l.source_uri like $1",
      [`${uri(dir)}/%`],
    );
  return rows[0]?.n ?? -1;
}

async function statuses(path: string): Promise<string[]> {
  const { rows } = await lakes
    .db()
    .pool.query<{ status: string }>('select status from raw.loads where source_uri = $1 order by load_id', [uri(path)]);
  return rows.map((row) => row.status);
}

test('gzip of a loaded day (the .tsv goes, the .tsv.gz comes): the .gz is a duplicate, the day still counts once', async () => {
  const dir = folder();
  const tsv = join(dir, '2019-11-04.tsv');
  writeFileSync(tsv, day('d', 5));
  expect(await load(dir)).toMatchObject({ loaded: 1, rows: 5 });
  const gz = gzipInPlace(tsv);
  expect(await load(dir)).toMatchObject({ loaded: 0, duplicates: 1, failed: 0 });
  expect(await countedRows(dir)).toBe(5);
  expect(await statuses(tsv)).toEqual(['loaded']);
  expect(await statuses(gz)).toEqual(['duplicate']);
  // and again: still once, nothing new in the ledger
  expect(await load(dir)).toMatchObject({ loaded: 0, duplicates: 1 });
  expect(await countedRows(dir)).toBe(5);
  expect(await statuses(gz)).toEqual(['duplicate']);
});

test('a day and its .gz side by side in one run, at once: loaded once (the .gz a duplicate)', async () => {
  const dir = folder();
  const tsv = join(dir, '2019-11-04.tsv');
  writeFileSync(tsv, day('side', 7));
  writeFileSync(`${tsv}.gz`, gzipSync(day('side', 7)));
  const summary = await load(dir, 2);
  expect(summary).toMatchObject({ loaded: 1, duplicates: 1, rows: 7 });
  expect(await countedRows(dir)).toBe(7);
});

test('after gzip, a real change of the .gz content replaces the day it stands for (the gone .tsv load), not adds to it', async () => {
  const dir = folder();
  const tsv = join(dir, '2019-11-04.tsv');
  writeFileSync(tsv, day('old', 5));
  await load(dir);
  const gz = gzipInPlace(tsv);
  await load(dir);
  writeFileSync(gz, gzipSync(day('new', 3)));
  expect(await load(dir)).toMatchObject({ loaded: 1, failed: 0, rows: 3 });
  expect(await countedRows(dir)).toBe(3);
  expect(await statuses(tsv)).toEqual(['replaced']);
  expect(await statuses(gz)).toEqual(['duplicate', 'loaded']);
});

test('a copy that changes while its original is still there loads as its own object: the original keeps its rows', async () => {
  const dir = folder();
  const a = join(dir, 'a.tsv');
  const b = join(dir, 'b.tsv');
  writeFileSync(a, day('orig', 4));
  writeFileSync(b, day('orig', 4));
  expect(await load(dir, 1)).toMatchObject({ loaded: 1, duplicates: 1 });
  writeFileSync(b, day('changed', 2));
  expect(await load(dir, 1)).toMatchObject({ loaded: 1, rows: 2 });
  expect(await countedRows(dir)).toBe(6);
  expect(await statuses(a)).toEqual(['loaded']);
});

test('the content id of a .gz is the sha256 of its decompressed bytes, as its .tsv', async () => {
  const dir = folder();
  const text = day('id', 2);
  const gz = join(dir, 'x.tsv.gz');
  writeFileSync(gz, gzipSync(text));
  expect(await load(dir)).toMatchObject({ loaded: 1 });
  const { rows } = await lakes
    .db()
    .pool.query<{ content_id: string }>("select content_id from raw.loads where source_uri = $1 and status = 'loaded'", [uri(gz)]);
  expect(rows).toEqual([{ content_id: `sha256:${createHash('sha256').update(text).digest('hex')}` }]);
});

test('upgrade: a .gz loaded before (content id of its compressed bytes, as migration 0019 marks it) is re-read once; alone it reloads in place, beside its loaded .tsv it becomes a duplicate', async () => {
  const dir = folder();
  const alone = join(dir, 'alone.tsv.gz');
  writeFileSync(alone, gzipSync(day('alone', 3)));
  const tsv = join(dir, 'pair.tsv');
  writeFileSync(tsv, day('pair', 4));
  const pair = join(dir, 'pair.tsv.gz');
  writeFileSync(pair, gzipSync(day('pair', 4)));
  await load(dir, 1, { allowDuplicates: true }); // as before the upgrade: the .gz had another content id, so both loaded
  expect(await countedRows(dir)).toBe(3 + 4 + 4);
  // what 0019 does to such rows
  await lakes.db().pool.query(
    `update raw.loads set content_id = 'sha256-gz:' || substr(content_id, 8)
      where source_uri ~* '\\.gz$' and content_id like 'sha256:%' and source_uri like $1`,
    [`${uri(dir)}/%`],
  );
  const summary = await load(dir, 1);
  expect(summary).toMatchObject({ loaded: 1, duplicates: 1, skipped: 1, failed: 0 });
  expect(await countedRows(dir)).toBe(3 + 4);
  expect(await statuses(alone)).toEqual(['replaced', 'loaded']);
  expect(await statuses(pair)).toEqual(['replaced', 'duplicate']);
  expect(await statuses(tsv)).toEqual(['loaded']);
  expect(await load(dir, 1)).toMatchObject({ loaded: 0, skipped: 2, duplicates: 1 });
});
