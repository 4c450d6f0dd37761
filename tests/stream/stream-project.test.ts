import { cpSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { readProject } from '../../pipeline/project';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase } from '../helpers/test-database';
import { withBroker } from './broker-fixture';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'web-activity');
const EXAMPLE_DATA = join(EXAMPLE, 'data');

const broker = withBroker('elt-stream-project-');
const tempDir = broker.tempDir;

/** A copy of the web-activity project (its models linked) whose sources are `sources`. */
function webActivityProject(sources: { location: string; format: string }[], withData = false): string {
  const dir = tempDir();
  symlinkSync(join(EXAMPLE, 'models'), join(dir, 'models'));
  if (withData) cpSync(EXAMPLE_DATA, join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'elt.project.json'), JSON.stringify({ name: 'web_activity', sources, timeZone: 'UTC' }));
  return dir;
}

const HOURLY = 'marts.hourly_url_activity';
const hourly = async (pool: Pool) => (await pool.query(`select * from ${HOURLY} order by 1, 2, 3`)).rows;
const exampleFiles = () => readdirSync(EXAMPLE_DATA).filter((name) => name.endsWith('.ndjson')).length;

test('a nats:// source in elt.project.json is a stream: its URI normalized, its format checked (tsv-lake or ndjson), apart from the file sources', () => {
  const dir = webActivityProject([
    { location: 'data/', format: 'ndjson' },
    { location: 'nats://127.0.0.1/WEB', format: 'ndjson' },
  ]);
  const project = readProject(dir);
  expect(project.sources).toEqual([{ location: join(dir, 'data'), format: 'ndjson' }]);
  expect(project.streams).toEqual([{ uri: 'nats://127.0.0.1:4222/WEB', format: 'ndjson' }]);

  const csvStream = webActivityProject([{ location: 'nats://127.0.0.1:4222/WEB', format: 'csv' }]);
  expect(() => readProject(csvStream)).toThrow(/sources\[0\]\.format must be tsv-lake or ndjson for a stream/);
  const noStreamName = webActivityProject([{ location: 'nats://127.0.0.1:4222/', format: 'ndjson' }]);
  expect(() => readProject(noStreamName)).toThrow(/sources\[0\]\.location: .*names no stream/);
});

test("elt stream --project consumes the project's nats:// source with its format and models; elt run --project loads only the file sources", async () => {
  const stream = broker.nats.url('WEB_PROJECT');
  const published = await runCli(['publish', '--source', EXAMPLE_DATA, '--format', 'ndjson', '--to', stream, '--create-stream']);
  expect(published.stderr).not.toMatch(/error/);
  expect(published.code).toBe(0);
  const streamOnly = webActivityProject([{ location: stream, format: 'ndjson' }]);
  const both = webActivityProject(
    [
      { location: 'data/', format: 'ndjson' },
      { location: stream, format: 'ndjson' },
    ],
    true,
  );
  const [streamDb, fileDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  try {
    // no --source, no --format: the stream and its format (ndjson) are the project's
    const consumed = await runCli(['stream', '--project', streamOnly, '--until-idle'], { env: { ...process.env, DATABASE_URL: streamDb.url } });
    expect(consumed.stderr).not.toMatch(/error/);
    expect(consumed.code).toBe(0);
    // ndjson: the lines are events (as tsv-lake every one would be a reject)
    const [, loaded, rejected] = /([\d,]+) events loaded, ([\d,]+) rejected; position \d+, lag 0/.exec(consumed.stdout) ?? [];
    expect(Number(loaded?.replaceAll(',', ''))).toBeGreaterThan(900);
    expect(Number(rejected)).toBeLessThan(10);
    expect((await hourly(streamDb.pool)).length).toBeGreaterThan(0);

    // elt run loads the files and leaves the stream to elt stream
    const run = await runCli(['run', '--project', both, '--output-dir', join(both, 'out')], { env: { ...process.env, DATABASE_URL: fileDb.url } });
    // the stream source is said to be left to elt stream, and never listed as files
    expect(run.stderr).toMatch(/^elt: nats:\/\/\S+: a stream source, skipped: elt stream consumes it$/m);
    expect(run.code).toBe(0);
    const { rows } = await fileDb.pool.query<{ n: number; streams: number }>(
      'select count(*)::int as n, count(*) filter (where stream_id is not null)::int as streams from raw.loads',
    );
    expect(rows[0]).toEqual({ n: exampleFiles(), streams: 0 });
    expect(await hourly(streamDb.pool)).toEqual(await hourly(fileDb.pool));

    // a project whose only source is a stream has nothing for elt run to load: a usage error, nothing listed
    const nothing = await runCli(['run', '--project', streamOnly], { env: { ...process.env, DATABASE_URL: fileDb.url } });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(
      /^elt: error: the project \w+ has only stream sources \(nats:\/\/[^)]+\): run elt stream --project <dir> to consume them$/m,
    );
  } finally {
    await Promise.all([streamDb.drop(), fileDb.drop()]);
  }
});

test('the web-activity example runs from a stream as from files: published line by line, elt stream --project gives the hourly mart of elt run, row for row', async () => {
  const stream = broker.nats.url('WEB_ACTIVITY');
  const published = await runCli(['publish', '--source', EXAMPLE_DATA, '--format', 'ndjson', '--to', stream, '--create-stream']);
  expect(published.stderr).not.toMatch(/error/);
  expect(published.code).toBe(0);
  expect(published.stdout).toMatch(/^published \d+ messages from 3 file\(s\)/);
  const [streamDb, fileDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  try {
    const out = tempDir();
    const [consumed, run] = await Promise.all([
      runCli(['stream', '--project', EXAMPLE, '--source', stream, '--until-idle', '--max-events', '100'], {
        env: { ...process.env, DATABASE_URL: streamDb.url },
      }),
      runCli(['run', '--project', EXAMPLE, '--output-dir', out], { env: { ...process.env, DATABASE_URL: fileDb.url } }),
    ]);
    expect(consumed.stderr).not.toMatch(/error/);
    expect(consumed.code).toBe(0);
    expect(run.code).toBe(0);
    // the example's format (ndjson) came from its project: every line an event, none rejected
    const count = async (pool: Pool, sql: string) => Number((await pool.query<{ n: string }>(sql)).rows[0]?.n);
    const events = await count(fileDb.pool, 'select count(*) as n from raw.raw_events');
    expect(events).toBeGreaterThan(900);
    expect(await count(streamDb.pool, 'select count(*) as n from raw.raw_events')).toBe(events);
    expect(await count(streamDb.pool, 'select count(*) as n from raw.rejected_rows')).toBe(
      await count(fileDb.pool, 'select count(*) as n from raw.rejected_rows'),
    );
    const expected = await hourly(fileDb.pool);
    expect(expected.length).toBeGreaterThan(0);
    expect(await hourly(streamDb.pool)).toEqual(expected);
  } finally {
    await Promise.all([streamDb.drop(), fileDb.drop()]);
  }
});
