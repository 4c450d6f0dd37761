import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { silentLogger } from '../../core/log';
import { readLineage } from '../../observe/lineage';
import { buildModels } from '../../transform/build-models';
import { readModels } from '../../transform/model-catalog';
import { refreshMarts } from '../../transform/refresh-marts';
import { ENGINE_SCHEMA, legacySourceViewOf, sourceViewOf } from '../../transform/source-views';
import { createLogins, projectRoles } from '../helpers/logins';
import { insertRawEvents, type LakeRow } from '../helpers/raw-events';
import { createTestDatabase, MODELS_DIR, type TestDatabase } from '../helpers/test-database';

// The engine's own relations (each incremental model's source view) live in schema
// elt_engine, never in the schemas analysts browse: staging, intermediate and marts hold
// the models and nothing else, in a fresh database and in one built by the old layout
// (<model>__source beside the model) once the next build has run (issue 25 item 9).

let db: TestDatabase;
const logins = createLogins();
const models = readModels(MODELS_DIR);
const incremental = models.filter((model) => model.sourceView !== undefined).map((model) => model.name);

const event = (id: string, day = '15'): LakeRow => ({
  ts: `2019-02-${day} 10:00:00 +0000`,
  session: `s-${id}`,
  event: 'my_news_card_viewed',
  user: `u-${id}`,
  attributes: { id, category: 'news' },
});

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  await insertRawEvents(db.pool, [event('a')]);
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
});
afterAll(async () => {
  await logins.endPools();
  await db.drop();
  await logins.dropAll();
});

/** Every relation of the models' schemas (tables, views, materialized views, whatever else), as `schema.name`. */
async function modelSchemaRelations(pool: Pool = db.pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `select n.nspname || '.' || c.relname as name
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
      where n.nspname in ('staging', 'intermediate', 'marts') and c.relkind not in ('i', 'I', 'S', 't', 'c')
      order by 1`,
  );
  return rows.map((row) => row.name);
}

/** The engine schema's views, each with its comment. */
async function engineViews(): Promise<{ name: string; comment: string | null }[]> {
  const { rows } = await db.pool.query<{ name: string; comment: string | null }>(
    `select n.nspname || '.' || c.relname as name, obj_description(c.oid, 'pg_class') as comment
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
      where n.nspname = $1 order by 1`,
    [ENGINE_SCHEMA],
  );
  return rows;
}

/**
 * Puts the database back in the layout of the code before issue 25: each source view as
 * `<model>__source` beside its model (same query), elt.models naming it there.
 */
async function toOldLayout(): Promise<void> {
  const { rows } = await db.pool.query<{ name: string; source_view: string }>(
    'select name, source_view from elt.models where source_view is not null',
  );
  for (const row of rows) {
    const legacy = legacySourceViewOf(row.name);
    if (row.source_view === legacy) continue;
    const { rows: definition } = await db.pool.query<{ sql: string }>('select pg_get_viewdef(to_regclass($1)) as sql', [row.source_view]);
    await db.pool.query(`create view ${legacy} as ${definition[0]?.sql}`);
    await db.pool.query(`drop view ${row.source_view}`);
    await db.pool.query('update elt.models set source_view = $2 where name = $1', [row.name, legacy]);
  }
}

const count = async (relation: string, pool: Pool = db.pool) =>
  ((await pool.query<{ n: number }>(`select count(*)::int as n from ${relation}`)).rows[0] as { n: number }).n;

test('after a build, staging, intermediate and marts hold the models only; each source view is in elt_engine, with a comment naming its model', async () => {
  expect(await modelSchemaRelations()).toEqual(models.map((model) => model.name).sort());
  const views = await engineViews();
  expect(views.map((view) => view.name)).toEqual(incremental.map(sourceViewOf).sort());
  for (const model of incremental) {
    const view = views.find((candidate) => candidate.name === sourceViewOf(model));
    expect(view?.comment).toContain(`the query of the incremental model ${model}`);
  }
  const { rows } = await db.pool.query('select name, source_view from elt.models where source_view is not null order by name');
  expect(rows).toEqual(incremental.sort().map((name) => ({ name, source_view: sourceViewOf(name) })));
});

test('a reader or analyst login cannot read the engine schema; an analyst still refreshes the marts through the procedure', async () => {
  const roles = projectRoles(db.url);
  const reader = logins.pool(db.url, await logins.create('rita', [roles.reader]));
  const analyst = logins.pool(db.url, await logins.create('anna', [roles.analyst]));
  for (const login of [reader, analyst]) {
    for (const model of incremental) {
      await expect(login.query(`select * from ${sourceViewOf(model)}`)).rejects.toThrow(/permission denied for schema elt_engine/);
    }
    // not even listed: the schema's relations are hidden from who has no USAGE in BI tools reading information_schema
    const { rows } = await login.query("select table_name from information_schema.tables where table_schema = 'elt_engine'");
    expect(rows).toEqual([]);
    expect(await modelSchemaRelations(login)).not.toContainEqual(expect.stringMatching(/__source$|__new$/));
  }
  await insertRawEvents(db.pool, [event('b')]);
  await analyst.query('call elt.refresh_marts()');
  expect(await count('marts.article_performance', analyst)).toBe(2);
});

test('a database built by the old layout (marts.<model>__source) is moved by the next build: new views first, the old dropped, refresh and lineage work before and after', async () => {
  const lineage = await readLineage(db.pool);
  expect(lineage).toContainEqual({ source: 'intermediate.int_article_days_by_load', model: 'marts.article_performance' });
  await toOldLayout();
  expect(await modelSchemaRelations()).toContain('marts.article_performance__source');
  expect(await readLineage(db.pool)).toEqual(lineage);
  // refresh works on the old layout until the build
  await insertRawEvents(db.pool, [event('c')]);
  await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
  expect(await count('marts.article_performance')).toBe(3);

  const warnings: string[] = [];
  const result = await buildModels(db.pool, { dir: MODELS_DIR, log: { ...silentLogger, warn: (message: string) => warnings.push(message) } });
  // nothing changed in the models: nothing rebuilt, the tables keep their rows
  expect(result.built).toEqual([]);
  expect(warnings).toEqual([]);
  expect(await modelSchemaRelations()).toEqual(models.map((model) => model.name).sort());
  expect((await engineViews()).map((view) => view.name)).toEqual(incremental.map(sourceViewOf).sort());
  const { rows } = await db.pool.query('select name, source_view from elt.models where source_view is not null order by name');
  expect(rows).toEqual(incremental.sort().map((name) => ({ name, source_view: sourceViewOf(name) })));

  expect(await readLineage(db.pool)).toEqual(lineage);
  await insertRawEvents(db.pool, [event('d', '16')]);
  await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
  expect(await count('marts.article_performance')).toBe(4);
  expect(await count('intermediate.int_events')).toBe(await count('raw.raw_events'));
});

test('an old-layout source view that an object outside the models reads is kept (never CASCADE) and named in a warning, and dropped by the build after that object goes', async () => {
  await toOldLayout();
  await db.pool.query('create view public.my_source_copy as select * from marts.article_performance__source');
  const warnings: string[] = [];
  await buildModels(db.pool, { dir: MODELS_DIR, log: { ...silentLogger, warn: (message: string) => warnings.push(message) } });
  expect(warnings).toEqual([
    'kept marts.article_performance__source (the old place of the source view of marts.article_performance, now elt_engine.marts__article_performance__source): public.my_source_copy reads it; drop or change that, and the next elt build drops it',
  ]);
  // kept, with its query: which reads what to compute from the engine, so outside a fold it refuses, as every source view of a model with a lower bound
  await expect(db.pool.query('select * from public.my_source_copy')).rejects.toThrow(
    /^elt\.fold_keys\(\) is read by the query of a model with a lower bound/,
  );
  expect(await modelSchemaRelations()).toEqual([...models.map((model) => model.name), 'marts.article_performance__source'].sort());
  expect((await engineViews()).map((view) => view.name)).toEqual(incremental.map(sourceViewOf).sort());
  // the engine reads the kept view (the same query) until a build can drop it; the others moved
  const { rows } = await db.pool.query('select name, source_view from elt.models where source_view is not null order by name');
  expect(rows).toEqual(
    incremental.sort().map((name) => ({ name, source_view: name === 'marts.article_performance' ? legacySourceViewOf(name) : sourceViewOf(name) })),
  );

  await db.pool.query('drop view public.my_source_copy');
  warnings.length = 0;
  await buildModels(db.pool, { dir: MODELS_DIR, log: { ...silentLogger, warn: (message: string) => warnings.push(message) } });
  expect(warnings).toEqual([]);
  expect(await modelSchemaRelations()).toEqual(models.map((model) => model.name).sort());
  const { rows: after } = await db.pool.query("select source_view from elt.models where name = 'marts.article_performance'");
  expect(after).toEqual([{ source_view: sourceViewOf('marts.article_performance') }]);
});

test('an old-layout source view dropped by hand is made again in elt_engine by the next build, and the refresh reads it there', async () => {
  await toOldLayout();
  await db.pool.query('drop view marts.article_performance__source');
  await buildModels(db.pool, { dir: MODELS_DIR, log: silentLogger });
  const { rows } = await db.pool.query("select source_view from elt.models where name = 'marts.article_performance'");
  expect(rows).toEqual([{ source_view: sourceViewOf('marts.article_performance') }]);
  const before = await count('marts.article_performance');
  await insertRawEvents(db.pool, [event('e', '17')]);
  await refreshMarts(db.pool, { dir: MODELS_DIR, log: silentLogger });
  expect(await count('marts.article_performance')).toBe(before + 1);
});

test('incremental models with the longest names, alike but for their last character, get their source views under exactly the names elt.models records (none cut at 63 bytes), and each fills from its own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elt-engine-schema-'));
  mkdirSync(join(dir, 'intermediate'));
  const long = 'int_'.padEnd(46, 'x');
  for (const last of ['a', 'b']) {
    writeFileSync(
      join(dir, 'intermediate', `${long}${last}.sql`),
      `-- model ${last}\n-- materialized: incremental\n-- unique_key: load_id, line_no\nselect load_id, line_no, '${last}' as which from raw.raw_events\n`,
    );
  }
  const other = await createTestDatabase({ migrated: true });
  try {
    await insertRawEvents(other.pool, [event('a')]);
    await buildModels(other.pool, { dir, log: silentLogger });
    const { rows: recorded } = await other.pool.query<{ source_view: string }>('select source_view from elt.models order by name');
    const { rows: present } = await other.pool.query<{ name: string }>(
      `select n.nspname || '.' || c.relname as name from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = $1 order by 1`,
      [ENGINE_SCHEMA],
    );
    expect(present.map((row) => row.name)).toEqual(recorded.map((row) => row.source_view).sort());
    expect(recorded.map((row) => row.source_view)).toEqual([`${long}a`, `${long}b`].map((name) => sourceViewOf(`intermediate.${name}`)));
    await insertRawEvents(other.pool, [event('b')]);
    await refreshMarts(other.pool, { dir, log: silentLogger });
    for (const last of ['a', 'b']) {
      const { rows } = await other.pool.query(`select which, count(*)::int as n from intermediate.${long}${last} group by which`);
      expect(rows).toEqual([{ which: last, n: 2 }]);
    }
  } finally {
    await other.drop();
  }
});
