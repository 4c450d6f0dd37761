import type { Pool } from 'pg';
import { generateLake } from '../../generator/generate-lake';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase } from '../helpers/test-database';
import { withBroker } from './broker-fixture';

const broker = withBroker('elt-stream-marts-');
const tempDir = broker.tempDir;

const selectAll = async (pool: Pool, relation: string, key: string) => (await pool.query(`select * from ${relation} order by ${key}`)).rows;

test('a lake published line by line and consumed with elt stream gives marts identical to elt run on the same files', async () => {
  const lake = tempDir();
  const files = await generateLake({ outDir: lake, days: 3, eventsPerDay: 400, seed: 16 });
  const [fileDb, streamDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  try {
    const published = await runCli(['publish', '--source', lake, '--to', broker.nats.url('MARTS'), '--create-stream']);
    expect(published.stderr).not.toMatch(/error/);
    expect(published.code).toBe(0);
    const lines = files.reduce((sum, file) => sum + file.rows, 0);
    expect(published.stdout).toContain(`published ${lines.toLocaleString('en-US')} messages from 3 file(s)`);

    const [run, stream] = await Promise.all([
      runCli(['run', '--source', lake], { env: { ...process.env, DATABASE_URL: fileDb.url } }),
      runCli(['stream', '--source', broker.nats.url('MARTS'), '--until-idle', '--max-events', '500'], {
        env: { ...process.env, DATABASE_URL: streamDb.url },
      }),
    ]);
    expect(run.code).toBe(0);
    expect(stream.stderr).not.toMatch(/error/);
    expect(stream.code).toBe(0);
    const accepted = files.reduce((sum, file) => sum + file.rows - file.malformedRows, 0);
    expect(stream.stdout).toMatch(
      new RegExp(
        `${accepted.toLocaleString('en-US')} events loaded, ${(lines - accepted).toLocaleString('en-US')} rejected; position ${lines}, lag 0`,
      ),
    );

    for (const [relation, key] of [
      ['marts.article_performance', 'article_id, date'],
      ['marts.user_performance', 'user_id, date'],
      ['marts.category_ctr_daily', 'category, date'],
    ] as const) {
      const expected = await selectAll(fileDb.pool, relation, key);
      expect(expected.length).toBeGreaterThan(0);
      expect(await selectAll(streamDb.pool, relation, key)).toEqual(expected);
    }
    // every malformed line is a reject with its stream sequence and the loader's reason
    const reasons = async (pool: Pool) =>
      (await pool.query<{ reason: string }>('select reason from raw.rejected_rows order by reason')).rows.map((row) => row.reason);
    expect(await reasons(streamDb.pool)).toEqual(await reasons(fileDb.pool));
  } finally {
    await Promise.all([fileDb.drop(), streamDb.drop()]);
  }
});
