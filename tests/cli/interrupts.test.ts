import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { killAll, startCli, waitFor } from '../s3/cli-process';

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  killAll();
  await db.drop();
});

const withDb = (): NodeJS.ProcessEnv => ({ ...process.env, DATABASE_URL: db.url });

async function loads(): Promise<{ status: string; row_count: string | null }[]> {
  const { rows } = await db.pool.query<{ status: string; row_count: string | null }>('select status, row_count from raw.loads order by load_id');
  return rows;
}

/** A lake file big enough that loading it takes a few seconds: the sample's events, repeated. */
async function bigLake(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'elt-interrupt-'));
  const [header, ...rows] = readFileSync(join(SAMPLE, '2019-02-15.tsv'), 'utf8').trim().split('\n');
  const out = createWriteStream(join(dir, '2019-02-15.tsv'));
  out.write(`${header}\n`);
  for (let copy = 0; copy < 20_000; copy += 1) out.write(`${rows.join('\n')}\n`);
  await new Promise((resolve) => out.end(resolve));
  return dir;
}

describe.each([
  ['SIGINT', 130, /interrupted \(Ctrl-C\): stopping/],
  ['SIGTERM', 143, /terminated \(SIGTERM\): stopping/],
] as const)('%s during a load', (signal, code, said) => {
  test(`stops at once with exit ${code}, says so in one line, retries nothing, keeps nothing half-loaded; the next run loads it all`, async () => {
    const lake = await bigLake();
    const cli = startCli(['run', '--source', lake], { env: withDb() });
    await waitFor('the load to start', async () => (/loading 1 lake file/.test(cli.output().stderr) ? true : undefined), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(cli.pid, signal);
    const result = await cli.done;
    expect(result.code).toBe(code);
    expect(result.stderr.match(new RegExp(said.source, 'g'))).toHaveLength(1);
    expect(result.stderr).not.toMatch(/retrying|error|shutting down|build done|\n\s+at /);
    const { rows } = await db.pool.query<{ n: string }>('select count(*) as n from raw.raw_events');
    expect(rows[0]?.n).toBe('0');
    expect((await loads()).filter((load) => load.status === 'loaded')).toEqual([]);

    const again = await runCli(['load', '--source', lake], { env: withDb() });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/1 files: 1 loaded, .*600,000 rows, 0 rejected/);
  }, 120_000);
});

test.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)(
  '%s while waiting for a database that does not answer yet ends the wait at once with exit %i',
  async (signal, code) => {
    // nothing listens on port 1: elt would wait ELT_DB_WAIT_SECONDS (60) for it
    const env = { ...process.env, DATABASE_URL: 'postgres://elt@127.0.0.1:1/bi', ELT_DB_WAIT_SECONDS: '60' };
    const cli = startCli(['status'], { env });
    await waitFor('the wait for the database', async () => (/waiting for the database/.test(cli.output().stderr) ? true : undefined), 30_000);
    const sent = Date.now();
    process.kill(cli.pid, signal);
    const result = await cli.done;
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(result.code).toBe(code);
    expect(result.stderr).not.toMatch(/error|\n\s+at /);
  },
  60_000,
);
