import { join } from 'node:path';
import { runCli } from '../helpers/run-cli';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const SAMPLE = join(__dirname, '..', 'fixtures', 'lake-sample');

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.drop());

const withDb = (): NodeJS.ProcessEnv => ({ ...process.env, DATABASE_URL: db.url });

async function loads(): Promise<{ status: string; row_count: string | null }[]> {
  const { rows } = await db.pool.query<{ status: string; row_count: string | null }>('select status, row_count from raw.loads order by load_id');
  return rows;
}

describe('every setting is checked before any data is touched', () => {
  test.each([
    [['--time-zone', 'Mars/Olympus_Mons'], /unknown time zone "Mars\/Olympus_Mons"/],
    [['--session-gap-minutes=-5'], /--session-gap-minutes -5: must be a number of minutes above 0/],
  ])('elt run %j: one line, exit 2, and nothing loaded', async (flags, message) => {
    const result = await runCli(['run', '--source', SAMPLE, ...flags], { env: withDb() });
    expect(result.code).toBe(2);
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('elt: error')),
    ).toEqual([expect.stringMatching(message)]);
    expect(result.stdout).toBe('');
    const { rows } = await db.pool.query<{ migrated: string | null }>("select to_regclass('raw.loads')::text as migrated");
    if (rows[0]?.migrated) expect(await loads()).toEqual([]);
  });
});
