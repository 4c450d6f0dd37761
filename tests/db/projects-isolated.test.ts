import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { insertRawEvents } from '../helpers/raw-events';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';
import { createLogins, projectRoles } from '../helpers/logins';

// two projects, each in its own database on one server
let first: TestDatabase;
let second: TestDatabase;
const logins = createLogins();
let firstReader: string;

beforeAll(async () => {
  first = await createTestDatabase({ migrated: true });
  second = await createTestDatabase({ migrated: true });
  for (const db of [first, second]) {
    await insertRawEvents(db.pool, [
      { ts: '2019-02-15 10:00:00 +0000', session: 's', event: 'my_news_card_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
    ]);
    await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  }
  firstReader = await logins.create('rita', [projectRoles(first.url).reader]);
});

afterAll(async () => {
  await logins.endPools();
  await first.drop();
  await second.drop();
  await logins.dropAll();
  await logins.asAdmin(async (admin) => {
    for (const db of [first, second]) for (const role of Object.values(projectRoles(db.url))) await admin.query(`drop role if exists "${role}"`);
  });
});

const databaseOf = (db: TestDatabase) => new URL(db.url).pathname.slice(1);

test("a reader of one project's database reads its marts, and can neither connect to another project's database nor read its marts", async () => {
  await expect(logins.pool(first.url, firstReader).query('select count(*) from marts.article_performance')).resolves.toBeTruthy();
  await expect(logins.pool(second.url, firstReader).query('select 1')).rejects.toThrow(/permission denied for database/);
  // even where connecting is allowed (CONNECT given back to PUBLIC), the marts stay closed
  await second.pool.query(`grant connect on database "${databaseOf(second)}" to public`);
  await expect(logins.pool(second.url, firstReader).query('select count(*) from marts.article_performance')).rejects.toThrow(/permission denied/);
});

test('the server-wide group roles of earlier versions (elt_reader, elt_analyst, elt_loader) open no project', async () => {
  const groups = await first.pool.query<{ rolname: string }>(
    "select rolname from pg_roles where rolname in ('elt_reader', 'elt_analyst', 'elt_loader')",
  );
  const old = await logins.create(
    'oscar',
    groups.rows.map((row) => row.rolname),
  );
  for (const db of [first, second]) {
    await db.pool.query(`grant connect on database "${databaseOf(db)}" to ${old}`);
    const pool = logins.pool(db.url, old);
    await expect(pool.query('select count(*) from marts.article_performance')).rejects.toThrow(/permission denied/);
    await expect(pool.query('select count(*) from raw.raw_events')).rejects.toThrow(/permission denied/);
    await expect(pool.query('call elt.refresh_marts()')).rejects.toThrow(/permission denied/);
  }
});

test("each database names its roles after itself: elt.role_name('reader') is <database>_reader", async () => {
  const { rows } = await first.pool.query(
    "select elt.role_name('reader') as reader, elt.role_name('analyst') as analyst, elt.role_name('loader') as loader",
  );
  expect(rows).toEqual([projectRoles(first.url)]);
});
