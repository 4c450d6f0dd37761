import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../../db/free-port';
import { startS3Server, type TestS3Server } from '../helpers/s3-server';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { killAll, runCliBounded } from './cli-process';
import { lakeText } from './lake-text';

// The AWS SDK prints an 8-line NodeVersionSupportWarning banner on Node < 22 when
// a client is created. What an S3 command prints is the project's output: only
// `elt:` lines, and at most one of them about the Node version.
const BUCKET = 'notice-bucket';
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

let s3: TestS3Server;
let db: TestDatabase;
beforeAll(async () => {
  [s3, db] = await Promise.all([startS3Server(), createTestDatabase()]);
  await s3.createBucket(BUCKET);
  await s3.putObject(BUCKET, 'lake/2019-02-15.tsv', lakeText('notice', 2));
});
afterAll(async () => {
  killAll();
  await Promise.allSettled([s3?.stop(), db?.drop()]);
});

/** The non-empty stderr lines that do not come from elt. */
function foreignLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !line.startsWith('elt: '));
}

function nodeVersionLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /\bNode\b/.test(line));
}

/** On Node < 22: exactly one `elt: warning:` line about the Node version; on 22+: none. */
function expectAtMostOurNodeLine(stderr: string): void {
  const lines = nodeVersionLines(stderr);
  if (NODE_MAJOR < 22) {
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^elt: warning: Node v\d+\.\d+\.\d+ is past its end of life .*use Node 22 or 24$/);
  } else {
    expect(lines).toEqual([]);
  }
}

test('elt load from S3 prints only elt: lines on stderr (no AWS SDK Node version banner), at most one about the Node version', async () => {
  const run = await runCliBounded(['load', '--source', `s3://${BUCKET}/lake/`], { env: { ...s3.env(), DATABASE_URL: db.url } });
  expect(run.code).toBe(0);
  expect(foreignLines(run.stderr)).toEqual([]);
  expectAtMostOurNodeLine(run.stderr);
});

test('an S3 command that fails (unreachable endpoint) prints only elt: lines: the node notice at most, then the one-line error', async () => {
  const closed = await freePort();
  const run = await runCliBounded(
    ['load', '--source', `s3://${BUCKET}/lake/`, '--endpoint-url', `http://127.0.0.1:${closed}`, '--no-sign-request', '--retries', '0'],
    { env: { ...s3.env(), DATABASE_URL: db.url } },
  );
  expect(run.code).toBe(6);
  expect(foreignLines(run.stderr)).toEqual([]);
  expectAtMostOurNodeLine(run.stderr);
  expect(run.stderr.split('\n').filter((line) => line.startsWith('elt: error: '))).toHaveLength(1);
});

test('elt upload to S3 prints only elt: lines on stderr', async () => {
  const run = await runCliBounded(['upload', '--source', join(__dirname, '..', 'fixtures', 'lake-sample'), '--to', `s3://${BUCKET}/uploaded/`], {
    env: s3.env(),
  });
  expect(run.code).toBe(0);
  expect(foreignLines(run.stderr)).toEqual([]);
  expectAtMostOurNodeLine(run.stderr);
});

test('silencing the SDK notice hides no other process warning', () => {
  const client = pathToFileURL(join(__dirname, '..', '..', 'loader', 'sources', 's3', 's3-client.ts')).href;
  const script = `
    const loaded = await import(${JSON.stringify(client)});
    const { createS3Client } = loaded.createS3Client ? loaded : loaded.default;
    createS3Client({ region: 'us-east-1' }, 'some-bucket').destroy();
    process.emitWarning('another warning', 'SomeOtherWarning');
    process.emitWarning('a deprecation', 'DeprecationWarning');
  `;
  const child = spawnSync(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, '--input-type=module', '-e', script], {
    env: s3.env(),
    encoding: 'utf8',
  });
  expect(child.status).toBe(0);
  expect(child.stderr).toContain('SomeOtherWarning: another warning');
  expect(child.stderr).toContain('DeprecationWarning: a deprecation');
  expect(child.stderr).not.toContain('NodeVersionSupportWarning');
});
