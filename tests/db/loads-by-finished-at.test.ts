import { loadsFinishedSince } from '../../transform/changed-keys';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// elt run tests what its loads changed (transform/changed-keys.ts): it finds them by
// raw.loads.finished_at at every run, which must be an index lookup, not a read of the
// whole ledger (a load a day: 365 rows a year, more for streams).

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
});
afterAll(async () => {
  await db.drop();
});

test("the loads finished since a run's start are found through an index on raw.loads.finished_at, and are exactly those", async () => {
  // a year of daily loads, a load still running (no finished_at), then the run's new loads
  await db.pool.query(
    `insert into raw.loads (source_uri, content_id, status, finished_at)
     select 'test://lake/' || day, 'c' || day, 'loaded', timestamptz '2019-01-01 00:00 +00' + day * interval '1 day'
       from generate_series(1, 365) as day`,
  );
  await db.pool.query("insert into raw.loads (source_uri, content_id, status) values ('test://lake/running', 'r', 'loading')");
  const since = new Date('2019-12-30T12:00:00Z');
  const { rows: newest } = await db.pool.query<{ id: string }>('select load_id::text as id from raw.loads where finished_at >= $1 order by load_id', [
    since,
  ]);
  expect(newest).toHaveLength(2);
  expect(await loadsFinishedSince(db.pool, since)).toEqual(newest.map((row) => row.id));
  // the plan of that lookup, a sequential scan ruled out as far as the planner allows: an index scan on finished_at
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query('analyze raw.loads');
    await client.query('set local enable_seqscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      'explain (costs off) select array(select l.load_id::text from raw.loads as l where l.finished_at >= $1 order by l.load_id) as ids',
      [since],
    );
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Cond: \(finished_at >= /);
    expect(plan).not.toMatch(/Seq Scan/);
  } finally {
    await client.query('rollback');
    client.release();
  }
});
