import { Client } from 'pg';
import { checkServerVersion, OLDEST_SUPPORTED_POSTGRES } from '../../db/connect';
import { serverUrl } from '../helpers/test-database';

test('each jest project runs on the server it names: Debian Postgres 15 for postgres-15, the embedded 18 otherwise', async () => {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  const { rows } = await client.query<{ version: number }>("select current_setting('server_version_num')::int as version");
  await client.end();
  const major = Math.floor((rows[0]?.version ?? 0) / 10000);
  const onPostgres15 = process.env.ELT_TEST_PG15_URL !== undefined && serverUrl() === process.env.ELT_TEST_PG15_URL;
  if (onPostgres15) expect(major).toBe(15);
  else if (!process.env.DATABASE_URL) expect(major).toBe(18);
  else expect(major).toBeGreaterThanOrEqual(OLDEST_SUPPORTED_POSTGRES);
});

test('a server older than Postgres 15 is refused with one line and exit 2; 15 and newer pass', () => {
  expect(() => checkServerVersion(140011)).toThrow(
    expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/runs Postgres 14; elt needs Postgres 15 or newer/) }),
  );
  expect(() => checkServerVersion(90624)).toThrow(/runs Postgres 9;/);
  expect(() => checkServerVersion(150018)).not.toThrow();
  expect(() => checkServerVersion(180004)).not.toThrow();
});
