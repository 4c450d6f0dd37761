import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Pool } from 'pg';
import { silentLogger } from '../../core/log';
import { listS3Objects } from '../../loader/sources/s3/s3-source';
import { generateLake, type LakeFile } from '../../generator/generate-lake';
import { selectAll } from '../helpers/raw-events';
import { startS3Server, type TestS3Server } from '../helpers/s3-server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { createTestDatabase } from '../helpers/test-database';
import { killAll, runCliBounded } from './cli-process';

// `elt upload` (multipart) and `elt run --source s3://...`, compared with the same
// files loaded from disk: the S3 path must change nothing in raw rows or marts.
let s3: TestS3Server;
let proxy: TcpProxy;
const dirs: string[] = [];

beforeAll(async () => {
  s3 = await startS3Server({ childProcess: true });
  proxy = await startTcpProxy(s3.port);
});
afterEach(() => killAll());
afterAll(async () => {
  killAll();
  await Promise.allSettled([proxy?.close(), s3?.stop()]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `elt-${name}-`));
  dirs.push(dir);
  return dir;
}

/** The (line_no, event) rows of the loaded content of `uri`, and its rejects, as comparable sets. */
async function sameRows(pool: Pool, left: string, right: string) {
  const { rows } = await pool.query<{ left_rows: number; right_rows: number; only_left: number; only_right: number; reject_diff: number }>(
    `with l as (select e.line_no, e.event from raw.raw_events e join raw.loads d using (load_id) where d.source_uri = $1 and d.status = 'loaded'),
          r as (select e.line_no, e.event from raw.raw_events e join raw.loads d using (load_id) where d.source_uri = $2 and d.status = 'loaded'),
          lj as (select line_no, raw_text, raw_bytes, reason from raw.rejected_rows j join raw.loads d using (load_id) where d.source_uri = $1 and d.status = 'loaded'),
          rj as (select line_no, raw_text, raw_bytes, reason from raw.rejected_rows j join raw.loads d using (load_id) where d.source_uri = $2 and d.status = 'loaded')
     select (select count(*) from l)::int as left_rows, (select count(*) from r)::int as right_rows,
            (select count(*) from (select * from l except all select * from r) x)::int as only_left,
            (select count(*) from (select * from r except all select * from l) x)::int as only_right,
            (select count(*) from ((select * from lj except all select * from rj) union all (select * from rj except all select * from lj)) x)::int as reject_diff`,
    [left, right],
  );
  return rows[0];
}

test('elt upload sends a ~20 MB file as an 8 MiB-part multipart upload (creating the bucket), and loading it from S3 gives exactly the rows of loading it from disk', async () => {
  const lake = tempDir('upload-lake');
  const [big] = (await generateLake({ outDir: lake, days: 1, eventsPerDay: 38_000, seed: 11 })) as [LakeFile];
  const [small] = (await generateLake({ outDir: lake, startDate: '2019-03-01', days: 1, eventsPerDay: 300, seed: 12, gzip: true })) as [LakeFile];
  expect(big.bytes).toBeGreaterThan(2 * 8 * 1024 * 1024);
  const db = await createTestDatabase();
  try {
    const env = { ...s3.env(undefined, proxy.url), DATABASE_URL: db.url };
    const before = proxy.requests.length;
    const upload = await runCliBounded(['upload', '--source', lake, '--to', 's3://upload-bucket/lake/', '--create-bucket'], { env });
    expect(upload.stderr).not.toMatch(/error/);
    expect(upload.code).toBe(0);
    expect(upload.stdout).toMatch(
      new RegExp(`^uploaded 2 files \\(${(big.bytes + small.bytes).toLocaleString('en-US')} bytes\\) to s3://upload-bucket/lake/ in `),
    );

    // on the wire: the big file as CreateMultipartUpload + 3 parts + Complete; the small one as one PUT
    const requests = proxy.requests.slice(before);
    const bigKey = `/upload-bucket/lake/${basename(big.path)}`;
    expect(requests.filter((line) => line.startsWith(`POST ${bigKey}?uploads`))).toHaveLength(1);
    expect(requests.filter((line) => line.startsWith(`PUT ${bigKey}?`) && line.includes('partNumber='))).toHaveLength(3);
    expect(requests.filter((line) => line.startsWith(`POST ${bigKey}?uploadId=`))).toHaveLength(1);
    expect(requests.filter((line) => line.startsWith(`PUT /upload-bucket/lake/${basename(small.path)}?`))).toHaveLength(1);
    // the object is whole (s3rver gives multipart objects a plain md5 ETag, unlike S3's <md5>-<parts>)
    const listed = await listS3Objects('s3://upload-bucket/lake/', { endpoint: s3.endpoint }, silentLogger, { client: s3.client });
    expect(listed.map((o) => [basename(o.uri), o.size])).toEqual([
      [basename(big.path), big.bytes],
      [basename(small.path), small.bytes],
    ]);
    expect(listed[0]?.version).toMatch(new RegExp(`^etag:[0-9a-f]{32}(-3)?:${big.bytes}$`));

    // both loads at once (different URIs, one database; the same content, so loaded twice only when asked)
    const [fromS3, fromDisk] = await Promise.all([
      runCliBounded(['load', '--source', 's3://upload-bucket/lake/', '--endpoint-url', s3.endpoint, '--allow-duplicates'], {
        env,
        timeoutMs: 45_000,
      }),
      runCliBounded(['load', '--source', lake, '--allow-duplicates'], { env, timeoutMs: 45_000 }),
    ]);
    expect([fromS3.code, fromDisk.code]).toEqual([0, 0]);
    for (const file of [big, small]) {
      const counts = await sameRows(db.pool, `s3://upload-bucket/lake/${basename(file.path)}`, pathToFileURL(file.path).href);
      const accepted = file.rows - file.malformedRows;
      expect(counts).toEqual({ left_rows: accepted, right_rows: accepted, only_left: 0, only_right: 0, reject_diff: 0 });
    }
  } finally {
    await db.drop();
  }
});

test('elt run --source s3://... builds marts identical, row for row, to elt run on the same files from disk', async () => {
  const lake = tempDir('marts-lake');
  const files = await generateLake({ outDir: lake, days: 3, eventsPerDay: 400, seed: 5, gzip: true });
  await s3.createBucket('marts-bucket');
  for (const file of files) await s3.putObject('marts-bucket', `daily/${basename(file.path)}`, readFileSync(file.path));

  const [diskDb, s3Db] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  try {
    const [disk, remote] = await Promise.all([
      runCliBounded(['run', '--source', lake], { env: { ...process.env, DATABASE_URL: diskDb.url }, timeoutMs: 45_000 }),
      runCliBounded(['run', '--source', 's3://marts-bucket/daily/'], { env: { ...s3.env(), DATABASE_URL: s3Db.url }, timeoutMs: 45_000 }),
    ]);
    expect([disk.code, remote.code]).toEqual([0, 0]);
    const rows = files.reduce((sum, f) => sum + f.rows - f.malformedRows, 0);
    expect(remote.stdout).toMatch(new RegExp(`load\\s+3 files: 3 loaded, 0 skipped, 0 failed; ${rows.toLocaleString('en-US')} rows`));

    const marts: [string, string][] = [
      ['marts.article_performance', 'article_id, date'],
      ['marts.user_performance', 'user_id, date'],
      ['marts.category_ctr_daily', 'category, date'],
    ];
    for (const [relation, key] of marts) {
      const expected = await selectAll(diskDb.pool, relation, key);
      expect(expected.length).toBeGreaterThan(0);
      expect(await selectAll(s3Db.pool, relation, key)).toEqual(expected);
    }
  } finally {
    await Promise.all([diskDb.drop(), s3Db.drop()]);
  }
});
