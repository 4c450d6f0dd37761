import { appendFileSync, copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log';
import { migrate } from '../../db/migrate';
import { buildModels } from '../../transform/build-models';
import { sourceViewOf } from '../../transform/source-views';
import { insertRawEvents } from '../helpers/raw-events';
import { createTestDatabase, MIGRATIONS_DIR, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

const PROCEDURES_DIR = join(__dirname, '..', '..', 'db', 'procedures');

const databases: TestDatabase[] = [];
async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}
afterEach(async () => {
  for (const db of databases.splice(0)) await db.drop();
});

/** The schema state the code owns: every function of elt (text and grants), elt's tables and columns, what is recorded as applied. */
async function state(db: TestDatabase): Promise<unknown> {
  const name = new URL(db.url).pathname.slice(1);
  const { rows: functions } = await db.pool.query<{ signature: string; definition: string; acl: string | null }>(
    `select p.oid::regprocedure::text as signature, pg_get_functiondef(p.oid) as definition, p.proacl::text as acl
       from pg_proc as p where p.pronamespace = 'elt'::regnamespace order by 1`,
  );
  const { rows: columns } = await db.pool.query(
    `select table_name, column_name, data_type, column_default, is_nullable
       from information_schema.columns where table_schema = 'elt' order by table_name, ordinal_position`,
  );
  const { rows: migrations } = await db.pool.query('select name from elt.migrations order by name');
  const { rows: procedures } = await db.pool.query('select name, checksum from elt.procedures order by name');
  const withoutName = (text: string | null) => text?.split(name).join('<database>') ?? null;
  return {
    functions: functions.map((row) => ({ ...row, acl: withoutName(row.acl) })),
    columns,
    migrations,
    procedures,
  };
}

test('a database migrated by the code before db/procedures ends, after elt migrate, in the same state as a fresh one', async () => {
  const before = mkdtempSync(join(tmpdir(), 'elt-migrations-'));
  for (const file of readdirSync(MIGRATIONS_DIR).filter((file) => file < '0015')) copyFileSync(join(MIGRATIONS_DIR, file), join(before, file));
  const noProcedures = mkdtempSync(join(tmpdir(), 'elt-procedures-'));
  const old = await database();
  await migrate(old.pool, { dir: before, log: silentLogger, proceduresDir: noProcedures });
  // the old engine's functions, and a model recorded by the old build
  expect((await old.pool.query("select to_regprocedure('elt.apply_increment(text)') as p")).rows).toEqual([{ p: null }]);
  await old.pool.query(
    "insert into elt.models (name, checksum, materialized, build_order, incremental_by) values ('intermediate.int_events', 'x', 'incremental', 1, 'load_id')",
  );

  const infos: string[] = [];
  await migrate(old.pool, { dir: MIGRATIONS_DIR, log: { ...silentLogger, info: (message: string) => infos.push(message) } });
  expect(infos).toEqual(
    expect.arrayContaining([
      'applying migration 0015_procedures_apart.sql',
      ...readdirSync(PROCEDURES_DIR).map((file) => `applying procedure file ${file}`),
    ]),
  );
  expect((await old.pool.query('select source_view from elt.models')).rows).toEqual([{ source_view: 'intermediate.int_events__source' }]);
  await old.pool.query('delete from elt.models');

  const fresh = await database();
  await migrate(fresh.pool, { dir: MIGRATIONS_DIR, log: silentLogger });
  expect(await state(old)).toEqual(await state(fresh));
});

test('elt migrate re-applies exactly the procedure files whose text changed, and only those', async () => {
  const procedures = mkdtempSync(join(tmpdir(), 'elt-procedures-'));
  cpSync(PROCEDURES_DIR, procedures, { recursive: true });
  const db = await database();
  await migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger, proceduresDir: procedures });
  const applied = async () =>
    (await db.pool.query('select name, applied_at from elt.procedures order by name')).rows as { name: string; applied_at: Date }[];
  const first = await applied();
  expect(first.map((row) => row.name)).toEqual(
    readdirSync(PROCEDURES_DIR)
      .filter((file) => file.endsWith('.sql'))
      .sort(),
  );

  const infos: string[] = [];
  const log = { ...silentLogger, info: (message: string) => infos.push(message) };
  await migrate(db.pool, { dir: MIGRATIONS_DIR, log, proceduresDir: procedures });
  expect(infos).toEqual([]);

  const path = join(procedures, 'settings_fingerprint.sql');
  writeFileSync(path, readFileSync(path, 'utf8').replace("|| '|' ||", "|| ' | ' ||"));
  await migrate(db.pool, { dir: MIGRATIONS_DIR, log, proceduresDir: procedures });
  expect(infos).toEqual(['applying procedure file settings_fingerprint.sql']);
  expect((await db.pool.query('select elt.settings_fingerprint() as f')).rows[0].f).toMatch(/ \| /);
  const second = await applied();
  expect(second.filter((row, index) => row.applied_at.getTime() !== first[index]?.applied_at.getTime()).map((row) => row.name)).toEqual([
    'settings_fingerprint.sql',
  ]);
});

test('a procedure file that fails names itself, and leaves the database as it was', async () => {
  const procedures = mkdtempSync(join(tmpdir(), 'elt-procedures-'));
  cpSync(PROCEDURES_DIR, procedures, { recursive: true });
  const db = await database();
  await migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger, proceduresDir: procedures });
  appendFileSync(join(procedures, 'refresh_marts.sql'), '\ncreate or replace function elt.oops( returns int;\n');
  await expect(migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger, proceduresDir: procedures })).rejects.toThrow(
    /procedure file .*refresh_marts\.sql failed: syntax error/,
  );
  await expect(migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger })).resolves.toMatchObject({ applied: [] });
});

test("the build's first fill of an incremental model is the engine's (elt.apply_increment, logged 'built'), and the engine reads the source view the build recorded", async () => {
  const db = await database();
  await migrate(db.pool, { dir: MIGRATIONS_DIR, log: silentLogger });
  await insertRawEvents(db.pool, [
    { ts: '2019-02-15 10:00:00 +0000', session: 's', event: 'my_news_card_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
  ]);
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  const { rows } = await db.pool.query(
    `select m.name, m.source_view, m.settings_fingerprint = elt.settings_fingerprint() as current,
            exists (select from elt.refresh_log as r where r.model = m.name and r.how = 'built') as built
       from elt.models as m where m.materialized = 'incremental' order by m.build_order`,
  );
  expect(rows).toEqual(
    [
      'intermediate.int_events',
      'intermediate.int_article_days_by_load',
      'intermediate.int_category_days_by_load',
      'intermediate.int_sessions',
      'intermediate.int_user_days_by_load',
      'marts.article_performance',
      'marts.category_ctr_daily',
      'marts.user_performance',
    ].map((model) => ({
      name: model,
      source_view: sourceViewOf(model),
      current: true,
      built: true,
    })),
  );
  expect((await db.pool.query('select count(*)::int as n from intermediate.int_events')).rows).toEqual([{ n: 1 }]);
  expect((await db.pool.query('select count(*)::int as n from elt.folded_loads')).rows).toEqual([{ n: 4 }]);
});
