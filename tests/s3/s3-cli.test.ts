import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { EltError } from '../../core/errors';
import { parseS3Uri } from '../../loader/sources/s3/s3-uri';
import type { CliResult } from '../helpers/run-cli';
import { startS3Server, type TestS3Server } from '../helpers/s3-server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { errorLines, killAll, runCliBounded } from './cli-process';
import { lakeText, ledger, orphanRawRows, rawRowsByUri } from './lake-text';
import { freePort } from '../../db/free-port';

// `elt` against a local S3 server (s3rver) as a real child process: clear errors
// with their exit codes, the exit code 4 summary, and retries of a body cut short.
const BUCKET = 'cli-bucket';

let s3: TestS3Server;
let proxy: TcpProxy;
let db: TestDatabase;
let closedPorts: { s3: number; db: number };

type Timed = CliResult & { ms: number };
/** The error cases need nothing from each other: their processes all start in beforeAll, at once. */
const cases = new Map<string, Promise<Timed>>();

async function timedRun(args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  const started = Date.now();
  const result = await runCliBounded(args, { env });
  return { ...result, ms: Date.now() - started };
}

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...s3.env(), DATABASE_URL: db.url, ...extra });

function anonymousEnv(): NodeJS.ProcessEnv {
  const anonymous = env();
  delete anonymous.AWS_ACCESS_KEY_ID;
  delete anonymous.AWS_SECRET_ACCESS_KEY;
  return anonymous;
}

beforeAll(async () => {
  [s3, db] = await Promise.all([startS3Server({ childProcess: true }), createTestDatabase()]);
  proxy = await startTcpProxy(s3.port);
  closedPorts = { s3: await freePort(), db: await freePort() };
  await s3.createBucket(BUCKET);
  await s3.putObject(BUCKET, 'only-notes/README.txt', 'not a lake file');
  await s3.putObject(BUCKET, 'nodb/2019-02-15.tsv', lakeText('nodb', 1));
  await s3.putObject(BUCKET, 'public/2019-02-15.tsv', lakeText('public', 3));
  const start = (name: string, args: string[], childEnv: NodeJS.ProcessEnv) => cases.set(name, timedRun(args, childEnv));
  start('no-bucket', ['load', '--source', 's3://no-such-bucket/lake/'], env());
  start('denied', ['load', '--source', `s3://${BUCKET}/lake/`], env({ AWS_ACCESS_KEY_ID: 'WRONG', AWS_SECRET_ACCESS_KEY: 'WRONG' }));
  start('no-objects', ['load', '--source', `s3://${BUCKET}/only-notes/`], env());
  start('unreachable', ['load', '--source', `s3://${BUCKET}/lake/`, '--endpoint-url', `http://127.0.0.1:${closedPorts.s3}`], env());
  start('malformed', ['load', '--source', 's3://Not_A_Bucket/lake/'], env());
  start(
    'db-down',
    ['run', '--source', `s3://${BUCKET}/nodb/`],
    env({ DATABASE_URL: `postgres://elt:secret@127.0.0.1:${closedPorts.db}/lake`, ELT_DB_WAIT_SECONDS: '1' }),
  );
  start('no-credentials', ['load', '--source', `s3://${BUCKET}/public/`], anonymousEnv());
  start('upload-no-bucket', ['upload', '--source', join(__dirname, '..', 'fixtures', 'lake-sample'), '--to', 's3://not-there-yet/lake/'], env());
  // settle them all, so no test waits on a rejection nobody handles
  for (const promise of cases.values()) promise.catch(() => undefined);
});
afterAll(async () => {
  killAll();
  await Promise.allSettled(cases.values());
  await Promise.allSettled([proxy?.close(), s3?.stop(), db?.drop()]);
});

function result(name: string): Promise<Timed> {
  const pending = cases.get(name);
  if (!pending) throw new Error(`no such case: ${name}`);
  return pending;
}

/** Exactly one `elt: error:` line on stderr, matching `pattern`, and no stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = errorLines(stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^elt: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

test('no such bucket: one line naming it, exit 2', async () => {
  const run = await result('no-bucket');
  expect(run.code).toBe(2);
  expectOneLineError(run.stderr, /^elt: error: no such bucket: s3:\/\/no-such-bucket\/lake\/$/);
});

test('access denied (wrong credentials): one line pointing at the credentials, exit 6', async () => {
  const run = await result('denied');
  expect(run.code).toBe(6);
  expectOneLineError(run.stderr, new RegExp(`^elt: error: access denied to s3://${BUCKET}/lake/: check the AWS credentials`));
});

test('a prefix without *.tsv / *.tsv.gz objects: one line naming it, exit 2', async () => {
  const run = await result('no-objects');
  expect(run.code).toBe(2);
  expectOneLineError(run.stderr, new RegExp(`^elt: error: no \\*\\.tsv or \\*\\.tsv\\.gz objects under s3://${BUCKET}/only-notes/$`));
  expect(run.stderr).toContain(`skipping s3://${BUCKET}/only-notes/README.txt: not a *.tsv or *.tsv.gz object`);
});

test('an unreachable endpoint (a closed port): one line naming the endpoint, exit 6, within seconds', async () => {
  const run = await result('unreachable');
  expect(run.code).toBe(6);
  expectOneLineError(
    run.stderr,
    new RegExp(`^elt: error: cannot reach the S3 endpoint http://127.0.0.1:${closedPorts.s3} for s3://${BUCKET}/lake/: ECONNREFUSED$`),
  );
  expect(run.ms).toBeLessThan(20_000);
});

test('a malformed S3 URI: one line saying what is expected, exit 2 (and every malformed form is a usage error)', async () => {
  const run = await result('malformed');
  expect(run.code).toBe(2);
  expectOneLineError(
    run.stderr,
    /^elt: error: malformed S3 URI "s3:\/\/Not_A_Bucket\/lake\/": expected s3:\/\/<bucket>\/<prefix>, with a valid bucket name$/,
  );
  for (const uri of ['s3://', 's3:///lake/', 's3://ab/x', 's3://-bucket/x', `s3://${'a'.repeat(64)}/x`, 's3://bucket_name/x', 's3://Upper-Case/x']) {
    expect(() => parseS3Uri(uri)).toThrow(EltError);
    expect(() => parseS3Uri(uri)).toThrow(expect.objectContaining({ exitCode: 2 }));
  }
  expect(parseS3Uri('S3://upday-data/lake')).toEqual({ bucket: 'upday-data', prefix: 'lake' });
});

test('the database unreachable after the bounded wait (ELT_DB_WAIT_SECONDS=1), with an S3 source: one line, exit 3', async () => {
  const run = await result('db-down');
  expect(run.code).toBe(3);
  expectOneLineError(
    run.stderr,
    new RegExp(`cannot connect to the database at postgres://elt:\\*\\*\\*@127.0.0.1:${closedPorts.db}/lake after \\d+ attempts in 1s`),
  );
  expect(run.stderr).not.toContain('secret');
  // no hang (the message above says the wait was the 1 s asked for); generous, as every case's elt runs at once
  expect(run.ms).toBeLessThan(40_000);
});

test('no credentials at all: one line saying how to give them, exit 6; --no-sign-request then reads the bucket anonymously', async () => {
  const refused = await result('no-credentials');
  expect(refused.code).toBe(6);
  expectOneLineError(refused.stderr, new RegExp(`^elt: error: no AWS credentials for s3://${BUCKET}/public/: set AWS_ACCESS_KEY_ID`));

  const unsigned = await runCliBounded(['load', '--source', `s3://${BUCKET}/public/`, '--no-sign-request'], { env: anonymousEnv() });
  expect(unsigned.stderr).not.toMatch(/error/);
  expect(unsigned.code).toBe(0);
  expect(unsigned.stdout).toMatch(/1 files: 1 loaded, 0 skipped, 0 failed; 3 rows/);
});

test('elt upload to a missing bucket without --create-bucket: one line suggesting it, exit 2, nothing created', async () => {
  const run = await result('upload-no-bucket');
  expect(run.code).toBe(2);
  expectOneLineError(run.stderr, /^elt: error: no such bucket: s3:\/\/not-there-yet \(add --create-bucket to create it\)$/);
  const buckets = await s3.client.send(new ListBucketsCommand({}));
  expect(buckets.Buckets?.map((b) => b.Name)).not.toContain('not-there-yet');
});

test('an object over the reject ratio fails alone: the run exits 4 with a summary naming it, the others are loaded', async () => {
  await s3.putObject(BUCKET, 'ratio/2019-02-15.tsv', lakeText('r1', 10));
  await s3.putObject(BUCKET, 'ratio/2019-02-16.tsv', lakeText('r2', 18, 2)); // 10% rejected
  await s3.putObject(BUCKET, 'ratio/2019-02-17.tsv.gz', gzipSync(lakeText('r3', 5)));
  const result = await runCliBounded(['run', '--source', `s3://${BUCKET}/ratio/`], { env: env(), timeoutMs: 45_000 });
  expect(result.code).toBe(4);
  expect(result.stdout).toMatch(/load\s+3 files: 2 loaded, 0 skipped, 1 failed; 15 rows, 0 rejected/);
  expect(result.stdout).toContain(
    `FAILED s3://${BUCKET}/ratio/2019-02-16.tsv: 2 of 20 rows rejected (10.0%, over the 5% limit); first: line 20: TIMESTAMP "not-a-time"`,
  );
  expect(result.stderr).toMatch(new RegExp(`elt: error: \\[2/3\\] s3://${BUCKET}/ratio/2019-02-16\\.tsv: failed: 2 of 20 rows rejected`));
  expect(await rawRowsByUri(db.pool, `s3://${BUCKET}/ratio/`)).toEqual({
    [`s3://${BUCKET}/ratio/2019-02-15.tsv`]: 10,
    [`s3://${BUCKET}/ratio/2019-02-17.tsv.gz`]: 5,
  });
  // the models were still built and refreshed from what loaded
  expect(result.stdout).toMatch(/marts\.category_ctr_daily\s+1 rows/);
});

test('a connection cut mid-body is retried: the object ends up loaded exactly once, the ledger shows the failed attempt then the loaded one', async () => {
  await s3.putObject(BUCKET, 'retry/2019-02-15.tsv', lakeText('cut', 2000));
  await s3.putObject(BUCKET, 'retry/2019-02-16.tsv', lakeText('calm', 10));
  proxy.cutOnce({ afterBodyBytes: 60_000, match: new RegExp(`^GET /${BUCKET}/retry/2019-02-15\\.tsv`) });
  const result = await runCliBounded(['load', '--source', `s3://${BUCKET}/retry/`, '--endpoint-url', proxy.url, '--concurrency', '1'], {
    env: env(),
  });
  expect(proxy.cuts).toBe(1);
  expect(result.stderr).toMatch(
    new RegExp(
      `elt: warning: \\[1/2\\] s3://${BUCKET}/retry/2019-02-15\\.tsv: reading failed after 60000 of \\d+ bytes: .*; retrying in 500 ms \\(attempt 2 of 4\\)`,
    ),
  );
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/2 files: 2 loaded, 0 skipped, 0 failed; 2,010 rows, 0 rejected/);
  const uri = `s3://${BUCKET}/retry/2019-02-15.tsv`;
  const attempts = await ledger(db.pool, uri);
  expect(attempts.map((a) => a.status)).toEqual(['failed', 'loaded']);
  expect(attempts[0]?.error).toMatch(/^reading failed after 60000 of \d+ bytes/);
  expect(attempts[1]?.row_count).toBe('2000');
  expect(await rawRowsByUri(db.pool, `s3://${BUCKET}/retry/`)).toEqual({ [uri]: 2000, [`s3://${BUCKET}/retry/2019-02-16.tsv`]: 10 });
  const { rows } = await db.pool.query<{ n: number; distinct_lines: number }>(
    `select count(*)::int as n, count(distinct e.line_no)::int as distinct_lines
       from raw.raw_events e join raw.loads l using (load_id) where l.source_uri = $1`,
    [uri],
  );
  expect(rows[0]).toEqual({ n: 2000, distinct_lines: 2000 });
  expect(await orphanRawRows(db.pool)).toBe(0);
});
