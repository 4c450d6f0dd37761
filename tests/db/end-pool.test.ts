import { Client } from 'pg';
import { silentLogger } from '../../core/log';
import { APPLICATION_NAME, connectPool, endPool } from '../../db/connect';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function sessionsOfThisProcess(): Promise<number> {
  const observer = new Client({ connectionString: db.url });
  await observer.connect();
  const { rows } = await observer.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1', [
    APPLICATION_NAME,
  ]);
  await observer.end();
  return rows[0]?.n ?? -1;
}

test('endPool returns only once every session of the pool is closed (a server stopped right after sees none of them)', async () => {
  for (let round = 0; round < 5; round += 1) {
    const pool = await connectPool(db.url, { waitSeconds: 1, log: silentLogger });
    await Promise.all(Array.from({ length: 6 }, () => pool.query('select pg_sleep(0.05)')));
    expect(pool.totalCount).toBeGreaterThan(1);
    await endPool(pool);
    expect(await sessionsOfThisProcess()).toBe(0);
  }
});
