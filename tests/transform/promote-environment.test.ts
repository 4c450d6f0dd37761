import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { EltError, ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { buildEnvironment } from '../../transform/build-environment';
import { buildModels } from '../../transform/build-models';
import { dropEnvironment, readEnvironments } from '../../transform/environments';
import { promoteEnvironment } from '../../transform/promote-environment';
import { refreshMarts } from '../../transform/refresh-marts';
import { insertRawEvents, type LakeRow } from '../helpers/raw-events';
import { copyOfModels, createTestDatabase, type TestDatabase } from '../helpers/test-database';

// `elt promote --env <name>` (issue 27): production takes an environment's models in one
// swap; what it then holds equals a production build of the edited models, and the engine
// folds later loads into the promoted tables as into its own. Refused when production moved.

let db: TestDatabase;
let modelsDir: string;

/** `count` events of load `load`, spread over users, sessions, articles, categories and two days by a fixed rule. */
function lakeRows(load: number, count: number): LakeRow[] {
  const kinds = ['my_news_card_viewed', 'top_news_card_viewed', 'article_viewed'];
  return Array.from({ length: count }, (_, i) => {
    const article = (i * 7 + load) % 13;
    return {
      ts: `2019-02-${15 + ((i + load) % 2)} ${String(8 + (i % 12)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00 +0000`,
      session: `s${load}_${i % 17}`,
      event: kinds[(i + load) % 3] as string,
      user: `u${i % 11}`,
      attributes: { id: `a${article}`, category: ['news', 'sport', 'tech'][article % 3] },
    };
  });
}

/** The two edits promoted below: an intermediate model (by load, read by a by-key mart) and a mart (by key). */
function editModels(dir: string): void {
  const edit = (relativePath: string, from: string, to: string) => {
    const path = join(dir, relativePath);
    const sql = readFileSync(path, 'utf8');
    expect(sql).toContain(from);
    writeFileSync(path, sql.replace(from, to));
  };
  edit('intermediate/int_category_days_by_load.sql', 'where category is not null', "where category is not null and category <> 'tech'");
  edit('marts/article_performance.sql', 'select * from final', 'select * from final where card_views > 0');
}

const MARTS = [
  ['marts.article_performance', 'article_id, date'],
  ['marts.category_ctr_daily', 'category, date'],
  ['marts.user_performance', 'user_id, date'],
] as const;

/** Both changed marts in one statement: a reader of a mix of old and new would see a pair that is neither. */
const READING = `select (select count(*) || '/' || coalesce(sum(card_views), 0) from marts.article_performance)
                 || ' ' || (select count(*) || '/' || coalesce(sum(card_views), 0) from marts.category_ctr_daily) as reading`;

const reading = async (client: Pick<Client, 'query'>): Promise<string> =>
  (await client.query<{ reading: string }>(READING)).rows[0]?.reading as string;

const promote = (environment = 'dev') => promoteEnvironment(db.pool, { dir: modelsDir, environment, log: silentLogger });

beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  modelsDir = copyOfModels();
  await insertRawEvents(db.pool, lakeRows(1, 400));
  await insertRawEvents(db.pool, lakeRows(2, 400));
  await buildModels(db.pool, { dir: modelsDir, log: silentLogger });
});
afterEach(() => db.drop());

/** Every mart of `pool`, ordered by its key. */
async function marts(pool: TestDatabase['pool']): Promise<Record<string, unknown[]>> {
  const all: Record<string, unknown[]> = {};
  for (const [mart, key] of MARTS) all[mart] = (await pool.query(`select * from ${mart} order by ${key}`)).rows;
  return all;
}

/** The marts of a fresh database with the loads of `loads`, built from `dir`. */
async function freshBuild(dir: string, loads: number[]): Promise<Record<string, unknown[]>> {
  const fresh = await createTestDatabase({ migrated: true });
  try {
    for (const load of loads) await insertRawEvents(fresh.pool, lakeRows(load, 400));
    await buildModels(fresh.pool, { dir, log: silentLogger });
    return await marts(fresh.pool);
  } finally {
    await fresh.drop();
  }
}

test('promote under readers of the changed marts: no read fails, each reads the old pair or the new one; production then equals a build of the edited models, and later loads fold into it', async () => {
  editModels(modelsDir);
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'dev', log: silentLogger });
  const before = await reading(db.pool);

  const readers = await Promise.all(
    Array.from({ length: 3 }, async () => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      return client;
    }),
  );
  const readings: string[] = [];
  const errors: string[] = [];
  let done = false;
  const loops = readers.map(async (client) => {
    while (!done) {
      try {
        readings.push(await reading(client));
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  });
  let result;
  try {
    // let the readers read the old pair a while first
    while (readings.length < 20) await new Promise((resolve) => setImmediate(resolve));
    result = await promote();
    const seen = readings.length;
    while (readings.length < seen + 20) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    done = true;
    await Promise.all(loops);
    await Promise.all(readers.map((client) => client.end()));
  }
  const after = await reading(db.pool);

  expect(result).toEqual({
    environment: 'dev',
    promoted: ['intermediate.int_category_days_by_load', 'marts.article_performance', 'marts.category_ctr_daily'],
    dropped: ['intermediate__dev', 'marts__dev'],
  });
  expect(errors).toEqual([]);
  expect(after).not.toEqual(before);
  expect([...new Set(readings)].sort()).toEqual([before, after].sort());
  expect(await readEnvironments(db.pool)).toEqual([]);
  expect((await db.pool.query("select count(*)::int as n from pg_namespace where nspname like '%\\_\\_dev'")).rows).toEqual([{ n: 0 }]);

  // what production holds equals a production build of the edited models, and its bookkeeping says so: nothing to rebuild
  expect(await marts(db.pool)).toEqual(await freshBuild(modelsDir, [1, 2]));
  expect((await buildModels(db.pool, { dir: modelsDir, log: silentLogger })).built).toEqual([]);

  // the engine folds a new load into the promoted tables as into its own
  await insertRawEvents(db.pool, lakeRows(3, 400));
  await refreshMarts(db.pool, { dir: modelsDir, log: silentLogger });
  expect(await marts(db.pool)).toEqual(await freshBuild(modelsDir, [1, 2, 3]));
});

/** A mart new to production: a materialized view over a changed one. */
const ARTICLE_DAYS = `-- article_days: the days each article was displayed.
-- grain: one row per article; key: (article_id).
-- materialized: materialized_view
-- unique_key: article_id
with

days as (
    select article_id, count(*)::bigint as days from marts.article_performance group by article_id
),

final as (
    select article_id, days from days
)

select * from final
`;

test("a promoted mart keeps production's grants, owner and indexes; a mart new to production gets its schema's default grants; the reader role reads both", async () => {
  editModels(modelsDir);
  writeFileSync(join(modelsDir, 'marts', 'article_days.sql'), ARTICLE_DAYS);
  const reader = (await db.pool.query<{ name: string }>("select elt.role_name('reader') as name")).rows[0]?.name as string;
  const privileges = `select pg_get_userbyid(c.relowner) as owner, c.relacl::text as acl,
                             (select string_agg(indexname, ',' order by indexname) from pg_indexes where schemaname = 'marts' and tablename = c.relname) as indexes
                        from pg_class as c where c.oid = 'marts.article_performance'::regclass`;
  const before = (await db.pool.query(privileges)).rows;
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'dev', log: silentLogger });
  await promote();
  expect((await db.pool.query(privileges)).rows).toEqual(before);
  for (const mart of ['marts.article_performance', 'marts.article_days']) {
    expect((await db.pool.query('select has_table_privilege($1, $2, $3) as reads', [reader, mart, 'select'])).rows).toEqual([{ reads: true }]);
  }
  expect((await db.pool.query('select count(*)::int as n from marts.article_days')).rows).toEqual([{ n: 13 }]);
});

test.each([
  ['a new load', () => insertRawEvents(db.pool, lakeRows(3, 50))],
  [
    'a refresh',
    () => db.pool.query('insert into elt.refresh_log (model, duration_ms, how) values ($1, 0, $2)', ['marts.category_ctr_daily', 'built']),
  ],
  ['a load replaced', () => db.pool.query("update raw.loads set status = 'replaced' where load_id = (select min(load_id) from raw.loads)")],
])('promote after %s in production is refused with one line naming elt build --env; production and the environment stay', async (_case, move) => {
  editModels(modelsDir);
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'dev', log: silentLogger });
  const before = await marts(db.pool);
  await move();
  const refused = await promote().catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(EltError);
  expect((refused as EltError).exitCode).toBe(ExitCode.usage);
  expect((refused as EltError).message).toMatch(
    /^production moved since environment dev was built \(.+\): run (elt refresh and )?elt build --env dev to bring it up to date, then elt promote --env dev; nothing was promoted$/,
  );
  // loads not yet folded: the environment can be built again only after elt refresh folds them
  expect((refused as EltError).message.includes('elt refresh and')).toBe(_case !== 'a refresh');
  expect(await marts(db.pool)).toEqual(before);
  expect((await readEnvironments(db.pool)).map((environment) => environment.name)).toEqual(['dev']);
});

test('after one environment is promoted, another built before it is refused', async () => {
  editModels(modelsDir);
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'first', log: silentLogger });
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'second', log: silentLogger });
  await promote('first');
  await expect(promote('second')).rejects.toThrow(
    /^production moved since environment second was built \(.*a refresh, build or promotion changed its models/,
  );
});

test('promote of a name never recorded, or of an environment another login built, is refused and changes nothing', async () => {
  await expect(promote('nosuch')).rejects.toThrow(
    new EltError('no environment named nosuch (elt env list shows them); nothing was promoted', ExitCode.usage),
  );
  await expect(promote('Dev;drop')).rejects.toThrow(/environment name "Dev;drop" is not lower-case letters/);
  editModels(modelsDir);
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'dev', log: silentLogger });
  const before = await marts(db.pool);
  await db.pool.query("update elt.environments set owner_login = 'someone_else' where name = 'dev'");
  await expect(promote()).rejects.toThrow(/^environment dev was built by someone_else: only the login that built an environment promotes it/);
  expect(await marts(db.pool)).toEqual(before);
  await db.pool.query("update elt.environments set owner_login = session_user where name = 'dev'");
  await dropEnvironment(db.pool, 'dev');
});

test('promote when the models folder no longer holds the SQL the environment was built from is refused', async () => {
  editModels(modelsDir);
  await buildEnvironment(db.pool, { dir: modelsDir, environment: 'dev', log: silentLogger });
  const path = join(modelsDir, 'marts', 'article_performance.sql');
  writeFileSync(path, readFileSync(path, 'utf8').replace('where card_views > 0', 'where card_views > 1'));
  await expect(promote()).rejects.toThrow(
    /^marts\.article_performance in .* is not the SQL environment dev was built from: run elt build --env dev to bring it up to date/,
  );
});
