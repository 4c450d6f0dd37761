import { Client, type PoolClient } from 'pg';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { hasPendingChanges } from '../../transform/pending-changes';
import { refreshMarts } from '../../transform/refresh-marts';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

// "Anything new?" (transform/pending-changes.ts), asked before each run's build and refresh:
// exact (a load not folded, whenever and however it committed, is news), and it reads the
// loads finished since the models' last fold, not the whole ledger (issue 26).

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  await db.pool.query(
    "insert into raw.loads (source_uri, content_id, status, row_count, reject_count, finished_at) values ('test://pending/first', 'c-first', 'loaded', 0, 0, clock_timestamp())",
  );
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
});

afterAll(async () => {
  await db.drop();
});

/** A loaded ledger row without events (what the engine folds is the ledger's; no rows keep the test fast). */
async function addLoad(client: { query: PoolClient['query'] }, finishedAt: string | null = 'clock_timestamp()'): Promise<string> {
  const { rows } = await client.query<{ load_id: string }>(
    `insert into raw.loads (source_uri, content_id, status, row_count, reject_count, finished_at)
     values ('test://pending/' || gen_random_uuid(), 'c-' || gen_random_uuid(), 'loaded', 0, 0, ${finishedAt ?? 'null'}) returning load_id`,
  );
  return (rows[0] as { load_id: string }).load_id;
}

const refresh = () => refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });

/** The rows of raw.loads, elt.folded_loads and elt.refresh_log the check reads (heap and index), on a connection of its own. */
async function rowsReadByCheck(): Promise<{ pending: boolean; rowsRead: number }> {
  // a new session: its transaction's counters hold the check's reads and nothing before them
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('begin');
    const pending = await hasPendingChanges(client as unknown as PoolClient);
    const { rows } = await client.query<{ read: string }>(
      `select sum(pg_stat_get_xact_tuples_returned(r) + pg_stat_get_xact_tuples_fetched(r)) as read
         from unnest(array['raw.loads', 'elt.folded_loads', 'elt.refresh_log']::regclass[]) as r`,
    );
    await client.query('commit');
    return { pending, rowsRead: Number(rows[0]?.read) };
  } finally {
    await client.end();
  }
}

test('after a build that folded every load there is nothing new; a new load, and one finished without a time, are news until a refresh folds them', async () => {
  expect(await hasPendingChanges(db.pool)).toBe(false);
  await addLoad(db.pool);
  expect(await hasPendingChanges(db.pool)).toBe(true);
  await refresh();
  expect(await hasPendingChanges(db.pool)).toBe(false);
  // a ledger row written by hand (or by an older loader) without finished_at is still a load to fold
  await addLoad(db.pool, null);
  expect(await hasPendingChanges(db.pool)).toBe(true);
  await refresh();
  expect(await hasPendingChanges(db.pool)).toBe(false);
});

test('a load whose transaction stamped finished_at before a refresh began and committed after the refresh took its loads is news after that refresh', async () => {
  const loader = await db.pool.connect();
  try {
    await loader.query('begin');
    await addLoad(loader);
    // the stamp is older than the refresh's start, and the refresh cannot see the row
    await refresh();
    await loader.query('commit');
    expect(await hasPendingChanges(db.pool)).toBe(true);
    await refresh();
    expect(await hasPendingChanges(db.pool)).toBe(false);
  } finally {
    loader.release();
  }
});

test('a load replaced by new content of its object is news; a load failed or rolled back is not', async () => {
  const old = await addLoad(db.pool);
  await refresh();
  const client = await db.pool.connect();
  try {
    // the loader's replacement: the old load marked replaced in the transaction that loads the new content
    await client.query('begin');
    await client.query("update raw.loads set status = 'replaced' where load_id = $1", [old]);
    await addLoad(client);
    await client.query('commit');
    expect(await hasPendingChanges(db.pool)).toBe(true);
    await refresh();
    expect(await hasPendingChanges(db.pool)).toBe(false);
    await client.query('begin');
    await addLoad(client);
    await client.query('rollback');
    await db.pool.query(
      "insert into raw.loads (source_uri, content_id, status, finished_at) values ('test://pending/failed', 'c-failed', 'failed', clock_timestamp())",
    );
    expect(await hasPendingChanges(db.pool)).toBe(false);
  } finally {
    client.release();
  }
});

test('a load replaced with no new load loaded (its object now a duplicate of another) is news until a refresh folds it out', async () => {
  const old = await addLoad(db.pool);
  await refresh();
  expect(await hasPendingChanges(db.pool)).toBe(false);
  const client = await db.pool.connect();
  try {
    // the loader's duplicate path: the object's new content is another object's, so its old load is
    // replaced and its attempt marked a duplicate: no load is loaded by that transaction
    await client.query('begin');
    await client.query("update raw.loads set status = 'replaced' where load_id = $1", [old]);
    await client.query(
      "insert into raw.loads (source_uri, content_id, status, duplicate_of, row_count, reject_count, finished_at) values ('test://pending/dup', 'c-dup', 'duplicate', $1, 0, 0, clock_timestamp())",
      [old],
    );
    await client.query('commit');
  } finally {
    client.release();
  }
  expect(await hasPendingChanges(db.pool)).toBe(true);
  await refresh();
  expect(await hasPendingChanges(db.pool)).toBe(false);
});

test('other settings than the models were computed with are news', async () => {
  await refresh();
  expect(await hasPendingChanges(db.pool)).toBe(false);
  const { rows } = await db.pool.query<{ gap: string }>('select session_gap::text as gap from elt.settings');
  await db.pool.query("update elt.settings set session_gap = session_gap + interval '1 minute'");
  try {
    expect(await hasPendingChanges(db.pool)).toBe(true);
  } finally {
    await db.pool.query('update elt.settings set session_gap = $1::interval', [rows[0]?.gap]);
  }
  expect(await hasPendingChanges(db.pool)).toBe(false);
});

test('with 5,000 loads folded (fourteen years of daily files), the check reads the loads finished since the last fold, not the ledger: a few rows, as with one load', async () => {
  await db.pool.query(
    `insert into raw.loads (source_uri, content_id, status, row_count, reject_count, finished_at)
     select 'test://pending/many/' || i, 'many-' || i, 'loaded', 0, 0, clock_timestamp() from generate_series(1, 5000) as i`,
  );
  await refresh();
  // A transaction of another session anywhere on the server (another test file's, on the shared
  // cluster) that was running while the fold read the ledger may have committed a load the fold
  // did not see: then the check compares every load (exact, and slower). Fold again until a fold's
  // snapshot saw no other transaction, so what is measured is the path of a quiet server.
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const { rows } = await db.pool.query<{ others: boolean }>(
      `select coalesce(bool_or(exists (select from pg_snapshot_xip(m.loads_snapshot))), false) as others
         from elt.models as m where m.incremental_by = 'load_id'`,
    );
    if (rows[0]?.others === false) break;
    await refresh();
  }
  // what autovacuum would have done by then: the planner knows the ledger's size
  await db.pool.query('analyze raw.loads, elt.folded_loads, elt.refresh_log');
  const quiet = await rowsReadByCheck();
  expect(quiet.pending).toBe(false);
  await addLoad(db.pool);
  const oneNew = await rowsReadByCheck();
  expect(oneNew.pending).toBe(true);
  // the four by-load models each compare the new load with what they folded; the ledger's 5,000 loads are not read
  expect(quiet.rowsRead).toBeLessThan(40);
  expect(oneNew.rowsRead).toBeLessThan(40);
  await refresh();
});
