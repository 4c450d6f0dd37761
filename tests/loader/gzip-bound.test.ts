import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadOptionsOf } from '../../cli/options';
import { silentLogger } from '../../core/log';
import { EltError, ExitCode } from '../../core/errors';
import { loadLake } from '../../loader/load-lake';
import { listLocalObjects } from '../../loader/sources/local-source';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// A gzip object may expand at most --max-gzip-ratio times its size (an object under
// 1 MiB counts as 1 MiB): past that it fails alone, with the reason in its ledger row,
// before its decompressed bytes can cost unbounded time; and one endless line cannot
// grow memory (a record over 64 MiB keeps its first bytes only).
const HEADER = 'TIMESTAMP\tMD5(SESSION_ID)\tEVENT_NAME\tMD5(USER_ID)\tATTRIBUTES';
const ROW = '2019-02-15 03:07:03.662 +0000\ts\ttop_news_card_viewed\tu\t{"id":"a"}';
const MiB = 1024 * 1024;

/** A lake text of exactly `bytes` bytes: a header, one row, then blank lines. */
function lakeOfSize(bytes: number): Buffer {
  const start = `${HEADER}\n${ROW}\n`;
  return Buffer.concat([Buffer.from(start), Buffer.alloc(bytes - start.length, '\n')]);
}

let db: TestDatabase;
let root: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  root = mkdtempSync(join(tmpdir(), 'elt-gzip-bound-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(root, { recursive: true, force: true });
});

let folders = 0;
function folder(files: Record<string, Buffer | string>): string {
  folders += 1;
  const dir = join(root, `lake-${folders}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

async function ledgerOf(uri: string) {
  const { rows } = await db.pool.query<{ status: string; error: string | null }>(
    'select status, error from raw.loads where source_uri = $1 order by load_id',
    [uri],
  );
  return rows;
}

test('a gzip bomb (70 MiB of newlines in 70 KB) past the ratio fails alone, with the reason in its ledger row; the other day loads', async () => {
  const dir = folder({ 'a-bomb.tsv.gz': gzipSync(lakeOfSize(70 * MiB), { level: 9 }), 'b-good.tsv': `${HEADER}\n${ROW}\n` });
  const started = performance.now();
  const summary = await loadLake(db.pool, listLocalObjects(dir), silentLogger, { maxGzipRatio: 10 });
  expect(performance.now() - started).toBeLessThan(20_000);
  expect(summary).toMatchObject({ loaded: 1, failed: 1, rows: 1 });
  const bomb = summary.objects[0]!;
  expect(bomb.status).toBe('failed');
  expect(bomb.transient).toBe(false);
  expect(bomb.error).toMatch(/^decompresses to over 10 MiB \(10 times its size, counted as at least 1 MiB: --max-gzip-ratio 10\)/);
  expect(await ledgerOf(bomb.uri)).toEqual([{ status: 'failed', error: bomb.error }]);
});

test('the bound is exact: decompressing to exactly ratio x 1 MiB loads, one byte more fails', async () => {
  const dir = folder({ 'at.tsv.gz': gzipSync(lakeOfSize(2 * MiB)), 'over.tsv.gz': gzipSync(lakeOfSize(2 * MiB + 1)) });
  const summary = await loadLake(db.pool, listLocalObjects(dir), silentLogger, { maxGzipRatio: 2 });
  expect(summary.objects.map((o) => o.status)).toEqual(['loaded', 'failed']);
  expect(summary.objects[1]?.error).toMatch(/^decompresses to over 2 MiB/);
});

test('a plain (not gzip) object is not bound by the ratio', async () => {
  const dir = folder({ 'plain.tsv': lakeOfSize(3 * MiB) });
  expect(await loadLake(db.pool, listLocalObjects(dir), silentLogger, { maxGzipRatio: 1 })).toMatchObject({ loaded: 1, rows: 1 });
});

test('one endless line (80 MiB without a newline, in a gzip) is rejected as over 64 MiB, keeping its first 4 KiB only', async () => {
  const line = Buffer.alloc(80 * MiB, 'x');
  const dir = folder({ 'endless.tsv.gz': gzipSync(Buffer.concat([Buffer.from(`${HEADER}\n${ROW}\n`), line])) });
  const summary = await loadLake(db.pool, listLocalObjects(dir), silentLogger, { maxGzipRatio: 1000, maxRejectRatio: 1 });
  expect(summary).toMatchObject({ loaded: 1, rows: 1, rejects: 1 });
  const { rows } = await db.pool.query<{ reason: string; len: number }>(
    'select reason, length(raw_text)::int as len from raw.rejected_rows where source_uri = $1',
    [summary.objects[0]?.uri],
  );
  expect(rows).toEqual([{ reason: expect.stringMatching(/^line is 83886080 bytes long, over the limit/), len: expect.any(Number) }]);
  expect(rows[0]!.len).toBeLessThanOrEqual(4096);
});

test('--max-gzip-ratio and ELT_MAX_GZIP_RATIO set the ratio (default 100); zero, negative or non-numbers are usage errors', () => {
  expect(loadOptionsOf({}, {}).maxGzipRatio).toBe(100);
  expect(loadOptionsOf({}, { ELT_MAX_GZIP_RATIO: '250' }).maxGzipRatio).toBe(250);
  expect(loadOptionsOf({ 'max-gzip-ratio': '20' }, { ELT_MAX_GZIP_RATIO: '250' }).maxGzipRatio).toBe(20);
  for (const bad of ['0', '-5', 'lots', 'Infinity', '1e400']) {
    expect(() => loadOptionsOf({ 'max-gzip-ratio': bad }, {})).toThrow(expect.objectContaining({ exitCode: ExitCode.usage }) as EltError);
  }
});
