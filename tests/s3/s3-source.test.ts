import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Logger } from '../../core/log';
import type { LakeObject } from '../../loader/sources/lake-object';
import { loadLake } from '../../loader/load-lake';
import { loadObject } from '../../loader/load-object';
import type { S3Settings } from '../../loader/sources/s3/s3-settings';
import { listS3Objects } from '../../loader/sources/s3/s3-source';
import { startS3Server, type TestS3Server } from '../helpers/s3-server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { HEADER, lakeText, ledger, rawRowsByUri, row } from './lake-text';

// The S3 source, in process: listing, exactly-once identity by ETag and size,
// and the defined outcome of odd objects. s3rver runs in a child process on 127.0.0.1.
const BUCKET = 'source-bucket';

let s3: TestS3Server;
let proxy: TcpProxy;
let db: TestDatabase;
let settings: S3Settings;
const savedEnv = { ...process.env };

beforeAll(async () => {
  [s3, db] = await Promise.all([startS3Server({ childProcess: true }), createTestDatabase({ migrated: true })]);
  proxy = await startTcpProxy(s3.port);
  // the loader's client takes its credentials from the environment, as the CLI does
  Object.assign(process.env, s3.env(process.env));
  settings = { endpoint: s3.endpoint, region: 'us-east-1' };
  await s3.createBucket(BUCKET);
});
afterAll(async () => {
  process.env = savedEnv;
  await Promise.allSettled([proxy?.close(), s3?.stop(), db?.drop()]);
});

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`), error: (m) => lines.push(`error: ${m}`) };
}

async function list(prefix: string): Promise<LakeObject[]> {
  return listS3Objects(`s3://${BUCKET}/${prefix}`, settings, capture(), { pageSize: 2 });
}

async function only(prefix: string): Promise<LakeObject> {
  const objects = await list(prefix);
  expect(objects).toHaveLength(1);
  return objects[0] as LakeObject;
}

const load = (object: LakeObject, maxRejectRatio = 0.05) => loadObject(db.pool, object, { maxRejectRatio });

test('listing pages through the prefix 2 keys at a time, keeps *.tsv and *.tsv.gz (nested keys too) in key order, and logs every other key as skipped', async () => {
  const keys = [
    'listing/2019-02-17.tsv',
    'listing/2019-02-15.tsv',
    'listing/2019-02-16.tsv.gz',
    'listing/README.txt',
    'listing/2019-02-18.tsv.bak',
    'listing/nested/2019-02-19.tsv',
    'listing/_SUCCESS',
  ];
  for (const key of keys) await s3.putObject(BUCKET, key, key.endsWith('.gz') ? gzipSync(lakeText(key, 1)) : lakeText(key, 1));
  await s3.putObject(BUCKET, 'listing-other/2019-02-20.tsv', lakeText('other', 1)); // shares the prefix string, not the folder
  await s3.putObject(BUCKET, 'elsewhere/2019-02-21.tsv', lakeText('elsewhere', 1));

  const log = capture();
  const before = proxy.requests.length;
  const objects = await listS3Objects(`s3://${BUCKET}/listing/`, { ...settings, endpoint: proxy.url }, log, { pageSize: 2 });

  expect(objects.map((o) => [o.uri, o.gzip])).toEqual([
    [`s3://${BUCKET}/listing/2019-02-15.tsv`, false],
    [`s3://${BUCKET}/listing/2019-02-16.tsv.gz`, true],
    [`s3://${BUCKET}/listing/2019-02-17.tsv`, false],
    [`s3://${BUCKET}/listing/nested/2019-02-19.tsv`, false],
  ]);
  // (the first S3 client of a process on Node < 22 also warns once about the Node version: s3-node-notice.test.ts)
  expect(log.lines.filter((line) => !line.startsWith('warning: Node ')).sort()).toEqual([
    `skipping s3://${BUCKET}/listing/2019-02-18.tsv.bak: not a *.tsv or *.tsv.gz object`,
    `skipping s3://${BUCKET}/listing/README.txt: not a *.tsv or *.tsv.gz object`,
    `skipping s3://${BUCKET}/listing/_SUCCESS: not a *.tsv or *.tsv.gz object`,
  ]);
  // 7 keys, 2 per page: 4 ListObjectsV2 requests, each after the first with a continuation token
  const listings = proxy.requests.slice(before).filter((line) => line.includes('list-type=2'));
  expect(listings).toHaveLength(4);
  expect(listings.slice(1).every((line) => line.includes('continuation-token='))).toBe(true);
  expect(listings.every((line) => line.includes('max-keys=2'))).toBe(true);

  // sizes come from the listing, versions are etag:<md5 without quotes>:<size>
  for (const object of objects) {
    expect(object.version).toMatch(new RegExp(`^etag:[0-9a-f]{32}:${object.size}$`));
  }
});

test('a listed object streams its GetObject body into COPY: a .tsv.gz object loads the same events as the plain one', async () => {
  const text = lakeText('gz', 5);
  await s3.putObject(BUCKET, 'gzip/plain.tsv', text);
  await s3.putObject(BUCKET, 'gzip/packed.tsv.gz', gzipSync(text));
  const objects = await list('gzip/');
  // the same content: loaded twice only when asked to (else the .gz is a duplicate: the next test)
  const summary = await loadLake(db.pool, objects, capture(), { concurrency: 2, allowDuplicates: true });
  expect(summary).toMatchObject({ loaded: 2, failed: 0, rows: 10, rejects: 0 });
  const { rows } = await db.pool.query<{ source_uri: string; events: unknown[] }>(
    `select l.source_uri, jsonb_agg(e.event order by e.line_no) as events
       from raw.raw_events e join raw.loads l using (load_id)
      where l.source_uri like $1 and l.status = 'loaded' group by l.source_uri order by l.source_uri`,
    [`s3://${BUCKET}/gzip/%`],
  );
  expect(rows).toHaveLength(2);
  expect(rows[0]?.events).toHaveLength(5);
  expect(rows[0]?.events).toEqual(rows[1]?.events);
});

test('a day as .tsv and as .tsv.gz, at once, counts once: the content id is the sha256 of the decompressed bytes', async () => {
  const text = lakeText('twice', 6);
  await s3.putObject(BUCKET, 'twice/day.tsv', text);
  await s3.putObject(BUCKET, 'twice/day.tsv.gz', gzipSync(text));
  const summary = await loadLake(db.pool, await list('twice/'), capture(), { concurrency: 2 });
  expect(summary).toMatchObject({ loaded: 1, duplicates: 1, failed: 0, rows: 6 });
  const { rows } = await db.pool.query<{ content_id: string }>('select distinct content_id from raw.loads where source_uri like $1', [
    `s3://${BUCKET}/twice/%`,
  ]);
  expect(rows).toEqual([{ content_id: `sha256:${createHash('sha256').update(text).digest('hex')}` }]);
});

test('an unchanged object (same bucket, key, ETag, size) is skipped on the next load: one loaded ledger row, rows once', async () => {
  await s3.putObject(BUCKET, 'same/day.tsv', lakeText('same', 3, 0));
  expect(await load(await only('same/'))).toMatchObject({ status: 'loaded', rows: 3 });
  // listed afresh, as a second run would
  expect(await load(await only('same/'))).toMatchObject({ status: 'skipped', rows: 0 });
  expect((await ledger(db.pool, `s3://${BUCKET}/same/`)).map((l) => l.status)).toEqual(['loaded']);
  expect(await rawRowsByUri(db.pool, `s3://${BUCKET}/same/`)).toEqual({ [`s3://${BUCKET}/same/day.tsv`]: 3 });
});

test('a changed object (new ETag) replaces its earlier rows and rejects: ledger replaced then loaded, only the new rows remain', async () => {
  await s3.putObject(BUCKET, 'changed/day.tsv', lakeText('old', 4, 0) + 'bad row\n');
  const first = await load(await only('changed/'), 1);
  expect(first).toMatchObject({ status: 'loaded', rows: 4, rejects: 1 });
  const oldVersion = (await only('changed/')).version;

  await s3.putObject(BUCKET, 'changed/day.tsv', lakeText('new', 2, 0));
  const changed = await only('changed/');
  expect(changed.version).not.toBe(oldVersion);
  expect(await load(changed)).toMatchObject({ status: 'loaded', replaced: true, rows: 2, rejects: 0 });

  const uri = `s3://${BUCKET}/changed/day.tsv`;
  expect((await ledger(db.pool, uri)).map((l) => [l.status, l.row_count])).toEqual([
    ['replaced', '4'],
    ['loaded', '2'],
  ]);
  const { rows } = await db.pool.query<{ session: string }>(
    `select e.event ->> 'MD5(SESSION_ID)' as session from raw.raw_events e join raw.loads l using (load_id)
      where l.source_uri = $1 order by e.line_no`,
    [uri],
  );
  expect(rows.map((r) => r.session)).toEqual(['s-new-0', 's-new-1']);
  const rejects = await db.pool.query('select 1 from raw.rejected_rows where source_uri = $1', [uri]);
  expect(rejects.rowCount).toBe(0);
});

test('a changed object whose new content fails keeps the old rows loaded: the replacement is one transaction', async () => {
  await s3.putObject(BUCKET, 'flip/day.tsv', lakeText('keep', 2, 0));
  await load(await only('flip/'));
  await s3.putObject(BUCKET, 'flip/day.tsv', 'not the header\n' + row('x') + '\n');
  const failed = await load(await only('flip/'));
  expect(failed.status).toBe('failed');
  expect(failed.error).toMatch(/^unexpected header "not the header"/);
  const uri = `s3://${BUCKET}/flip/day.tsv`;
  expect((await ledger(db.pool, uri)).map((l) => l.status)).toEqual(['loaded', 'failed']);
  expect(await rawRowsByUri(db.pool, uri)).toEqual({ [uri]: 2 });
});

test('rejected rows over the ratio: the object is rolled back and marked failed quoting the first reasons; the other objects still load', async () => {
  await s3.putObject(BUCKET, 'ratio/a-good.tsv', lakeText('ok', 20, 1)); // 1 of 21 rejected: 4.8%
  await s3.putObject(BUCKET, 'ratio/b-bad.tsv', lakeText('bad', 18, 2)); // 2 of 20: 10%
  await s3.putObject(BUCKET, 'ratio/c-good.tsv.gz', gzipSync(lakeText('ok2', 3)));
  const summary = await loadLake(db.pool, await list('ratio/'), capture(), { concurrency: 2 });
  expect(summary).toMatchObject({ loaded: 2, failed: 1, rows: 23, rejects: 1 });
  const bad = summary.objects.find((o) => o.uri.endsWith('b-bad.tsv'));
  expect(bad?.status).toBe('failed');
  expect(bad?.error).toBe(
    '2 of 20 rows rejected (10.0%, over the 5% limit); first: line 20: TIMESTAMP "not-a-time" is not a date and time with a UTC offset; ' +
      'line 21: TIMESTAMP "not-a-time" is not a date and time with a UTC offset',
  );
  const uri = `s3://${BUCKET}/ratio/b-bad.tsv`;
  expect(await ledger(db.pool, uri)).toEqual([expect.objectContaining({ status: 'failed', row_count: '18', reject_count: '2', error: bad?.error })]);
  expect((await rawRowsByUri(db.pool, `s3://${BUCKET}/ratio/`))[uri]).toBeUndefined();
  const rejects = await db.pool.query('select 1 from raw.rejected_rows where source_uri = $1', [uri]);
  expect(rejects.rowCount).toBe(0);
});

// The error quotes the header escaped (NUL bytes included, which Postgres text cannot hold),
// so the ledger can record the failure.
test("a binary object (with NUL bytes) fails as an unexpected header, leaving no rows and a 'failed' ledger row", async () => {
  const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
  await s3.putObject(BUCKET, 'odd-binary/blob.tsv', binary);
  const result = await load(await only('odd-binary/'));
  expect(result.status).toBe('failed');
  expect(result.error).toMatch(/^unexpected header /);
  expect(await rawRowsByUri(db.pool, `s3://${BUCKET}/odd-binary/`)).toEqual({});
  expect((await ledger(db.pool, `s3://${BUCKET}/odd-binary/`)).map((l) => l.status)).toEqual(['failed']);
});

test('a Latin-1 (non-UTF-8) object: every row is rejected as not valid UTF-8, so it fails over the ratio and keeps nothing', async () => {
  const latin1 = Buffer.from(`${HEADER}\n${row('caf\u00e9')}\n${row('na\u00efve')}\n`, 'latin1');
  await s3.putObject(BUCKET, 'odd-latin1/day.tsv', latin1);
  const result = await load(await only('odd-latin1/'));
  expect(result.status).toBe('failed');
  expect(result.error).toBe(
    '2 of 2 rows rejected (100.0%, over the 5% limit); first: line 2: line is not valid UTF-8; line 3: line is not valid UTF-8',
  );
  expect(await rawRowsByUri(db.pool, `s3://${BUCKET}/odd-latin1/`)).toEqual({});
});

test('an empty object is loaded with zero rows (and skipped next time)', async () => {
  await s3.putObject(BUCKET, 'odd-empty/day.tsv', '');
  const object = await only('odd-empty/');
  expect(object.size).toBe(0);
  expect(await load(object)).toMatchObject({ status: 'loaded', rows: 0, rejects: 0 });
  expect(await load(await only('odd-empty/'))).toMatchObject({ status: 'skipped' });
  expect((await ledger(db.pool, `s3://${BUCKET}/odd-empty/`)).map((l) => [l.status, l.row_count])).toEqual([['loaded', '0']]);
});

test('a header-only object is loaded with zero rows', async () => {
  await s3.putObject(BUCKET, 'odd-header/day.tsv', `${HEADER}\n`);
  expect(await load(await only('odd-header/'))).toMatchObject({ status: 'loaded', rows: 0, rejects: 0 });
  expect((await ledger(db.pool, `s3://${BUCKET}/odd-header/`)).map((l) => [l.status, l.row_count])).toEqual([['loaded', '0']]);
});

// On a store that ignores If-Match (s3rver does), an object overwritten between listing and
// reading is caught by comparing the response's ETag and length with the listing: it fails
// once, as not transient, saying it changed since it was listed.
test('an object overwritten between listing and reading fails once, saying it changed since it was listed (not as a cut connection)', async () => {
  await s3.putObject(BUCKET, 'overwritten/day.tsv', lakeText('v1', 5));
  const [object] = await list('overwritten/');
  await s3.putObject(BUCKET, 'overwritten/day.tsv', lakeText('v2', 8));
  const summary = await loadLake(db.pool, [object as LakeObject], capture(), { retryDelayMs: 1 });
  expect(summary).toMatchObject({ loaded: 0, failed: 1, rows: 0 });
  expect(await rawRowsByUri(db.pool, `s3://${BUCKET}/overwritten/`)).toEqual({});
  expect(summary.objects[0]?.error).toMatch(/changed since it was listed/);
  expect((await ledger(db.pool, `s3://${BUCKET}/overwritten/`)).map((l) => l.status)).toEqual(['failed']);
});
