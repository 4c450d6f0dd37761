import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EltError, ExitCode } from '../../core/errors';
import { silentLogger } from '../../core/log';
import { buildEnvironment } from '../../transform/build-environment';
import { buildModels } from '../../transform/build-models';
import { dropEnvironment, readEnvironments } from '../../transform/environments';
import { insertRawEvents, type LakeRow } from '../helpers/raw-events';
import { copyOfModels, createTestDatabase, type TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
let modelsDir: string;

const EVENTS: LakeRow[] = [
  { ts: '2019-02-15 10:00:00 +0000', session: 's1', event: 'my_news_card_viewed', user: 'u1', attributes: { id: 'a', category: 'news' } },
  { ts: '2019-02-15 10:01:00 +0000', session: 's1', event: 'article_viewed', user: 'u1', attributes: { id: 'a', category: 'news' } },
  { ts: '2019-02-15 11:00:00 +0000', session: 's2', event: 'top_news_card_viewed', user: 'u2', attributes: { id: 'b', category: 'sport' } },
  { ts: '2019-02-16 09:00:00 +0000', session: 's3', event: 'top_news_card_viewed', user: 'u2', attributes: { id: 'b', category: 'sport' } },
];

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  await insertRawEvents(db.pool, EVENTS);
});
afterAll(() => db.drop());

beforeEach(async () => {
  // production as the package's models build it; no environment left by an earlier test
  modelsDir = copyOfModels();
  await buildModels(db.pool, { dir: modelsDir, log: silentLogger });
  for (const environment of await readEnvironments(db.pool)) await dropEnvironment(db.pool, environment.name);
});

function editModel(relativePath: string, edit: (sql: string) => string): void {
  const path = join(modelsDir, relativePath);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
}

const build = (environment = 'dev') => buildEnvironment(db.pool, { dir: modelsDir, environment, log: silentLogger });

const rows = async (sql: string) => (await db.pool.query(sql)).rows;

/**
 * Production as a reader and an auditor see it: every relation of every schema but the
 * environments' (name, kind, owner, ACL, options), its columns, view and index definitions,
 * and a checksum of every table's and materialized view's rows (elt.environments, the
 * record of environments, left out).
 */
async function productionSnapshot(): Promise<unknown> {
  const catalog = await rows(
    `select n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner) as owner, c.relacl::text, c.reloptions::text,
            case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as definition,
            case when c.relkind = 'i' then pg_get_indexdef(c.oid) end as index_definition,
            (select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull, ', ' order by a.attnum)
               from pg_attribute as a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
      where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema' and n.nspname not like '%\\_\\_%'
      order by 1, 2`,
  );
  const schemas = await rows(
    `select nspname, pg_get_userbyid(nspowner) as owner, nspacl::text from pg_namespace
      where nspname not like 'pg\\_%' and nspname not like '%\\_\\_%' order by 1`,
  );
  const tables = await rows(
    `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
      where c.relkind in ('r', 'm') and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
        and n.nspname not like '%\\_\\_%' and c.oid <> 'elt.environments'::regclass
      order by 1`,
  );
  const checksums: Record<string, unknown> = {};
  for (const { name } of tables as { name: string }[]) {
    checksums[name] = (
      await rows(`select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as sum from ${name} as t`)
    )[0];
  }
  return { catalog, schemas, checksums };
}

test('an environment built from a changed mart leaves every production relation, its rows, definition, owner and grants, unchanged', async () => {
  const before = await productionSnapshot();
  editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final', "select * from final where category <> 'news'"));
  const result = await build();
  expect(result).toEqual({ environment: 'dev', changed: ['marts.category_ctr_daily'], built: ['marts.category_ctr_daily'], schemas: ['marts__dev'] });
  expect(await productionSnapshot()).toEqual(before);
  // the environment holds the edited mart; production the old one
  expect(await rows('select category, date, card_views from marts__dev.category_ctr_daily order by 1, 2')).toEqual([
    { category: 'sport', date: '2019-02-15', card_views: '1' },
    { category: 'sport', date: '2019-02-16', card_views: '1' },
  ]);
  expect(await rows("select count(*)::int as n from marts.category_ctr_daily where category = 'news'")).toEqual([{ n: 1 }]);
});

test('a changed intermediate model and what reads it are built in the environment, reading each other there and production for the rest', async () => {
  editModel('intermediate/int_category_days_by_load.sql', (sql) =>
    sql.replace('where category is not null', "where category is not null and category <> 'sport'"),
  );
  const result = await build();
  expect(result.built).toEqual(['intermediate.int_category_days_by_load', 'marts.category_ctr_daily']);
  expect(result.schemas).toEqual(['intermediate__dev', 'marts__dev']);
  // the environment's mart is computed from the environment's intermediate table, not production's
  expect(await rows('select category from marts__dev.category_ctr_daily')).toEqual([{ category: 'news' }]);
  expect(await rows("select count(*)::int as n from marts.category_ctr_daily where category = 'sport'")).toEqual([{ n: 2 }]);
  // the unchanged models are not copied: read from production
  expect(
    await rows(
      "select to_regclass('intermediate__dev.int_events') is null as absent, to_regclass('marts__dev.article_performance') is null as absent2",
    ),
  ).toEqual([{ absent: true, absent2: true }]);
});

test("an environment's tables carry the key and indexes production's have, under the same names", async () => {
  editModel('marts/article_performance.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  await build();
  expect(await rows("select indexname, indexdef from pg_indexes where schemaname = 'marts__dev' order by 1")).toEqual([
    {
      indexname: 'article_performance_unique_key',
      indexdef: 'CREATE UNIQUE INDEX article_performance_unique_key ON marts__dev.article_performance USING btree (article_id, date)',
    },
  ]);
});

test('no model differing from production builds nothing and records no environment', async () => {
  expect(await build()).toEqual({ environment: 'dev', changed: [], built: [], schemas: [] });
  expect(await readEnvironments(db.pool)).toEqual([]);
  expect(await rows("select count(*)::int as n from pg_namespace where nspname like '%\\_\\_dev'")).toEqual([{ n: 0 }]);
});

test('the record says who built it, from which production state, and which models with their checksums', async () => {
  editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  await build();
  const [environment] = await readEnvironments(db.pool);
  const { rows: me } = await db.pool.query<{ login: string }>('select session_user as login');
  expect(environment?.name).toBe('dev');
  expect(environment?.ownerLogin).toBe(me[0]?.login);
  expect(Object.keys(environment?.models ?? {})).toEqual(['marts.category_ctr_daily']);
  expect(environment?.builtFrom.loads).toMatch(/^[0-9a-f]{32}$/);
  expect(environment?.sizeBytes).toBeGreaterThan(0);
});

test('building an environment again replaces it with the models that differ now', async () => {
  editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  await build();
  editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final where true', 'select * from final'));
  editModel('marts/user_performance.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  expect((await build()).built).toEqual(['marts.user_performance']);
  expect(await rows("select to_regclass('marts__dev.category_ctr_daily') is null as gone")).toEqual([{ gone: true }]);
  expect(Object.keys((await readEnvironments(db.pool))[0]?.models ?? {})).toEqual(['marts.user_performance']);
});

test.each([
  ['empty', ''],
  ['upper case', 'Dev'],
  ['a leading digit', '1dev'],
  ['a double underscore (another schema split)', 'x__marts'],
  ['a trailing underscore', 'dev_'],
  ['a leading underscore', '_dev'],
  ['too long', 'a'.repeat(21)],
  ['SQL', 'dev;drop schema marts cascade'],
  ['a quote', 'dev"'],
  ['a space', 'dev x'],
  ['a non-ASCII letter', 'dév'],
  ['a newline', 'dev\n'],
  ['a dot', 'marts.x'],
])('an environment name that is not a plain identifier is refused before anything is touched (%s)', async (_case, name) => {
  editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  const failure = await build(name).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(EltError);
  expect((failure as EltError).exitCode).toBe(ExitCode.usage);
  expect((failure as EltError).message).toMatch(/^environment name .* is not lower-case letters/);
  expect(await rows("select count(*)::int as n from pg_namespace where nspname like '%\\_\\_%'")).toEqual([{ n: 0 }]);
});

test('a name whose schemas exist but were not made by elt is refused, and those schemas are left as they are', async () => {
  await db.pool.query('create schema marts__planted; create table marts__planted.keep (x int); insert into marts__planted.keep values (1)');
  try {
    editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
    await expect(build('planted')).rejects.toThrow('schema marts__planted exists and is not environment planted');
    await expect(dropEnvironment(db.pool, 'planted')).rejects.toThrow('no environment named planted (elt env list shows them); nothing was dropped');
    expect(await rows('select x from marts__planted.keep')).toEqual([{ x: 1 }]);
  } finally {
    await db.pool.query('drop schema marts__planted cascade');
  }
});

test.each([
  ['an incremental mart', 'marts/category_ctr_daily.sql', 'marts.category_ctr_daily', 'syntax error at or near ";"'],
  ['a view (one statement as sent)', 'staging/stg_events.sql', 'staging.stg_events', 'cannot insert multiple commands into a prepared statement'],
])(
  'a model whose SQL adds a second statement (%s) fails naming the model, and neither production nor the environment changes',
  async (_case, file, model, why) => {
    const before = await productionSnapshot();
    editModel(file, (sql) => sql.replace('select * from final', 'select * from final; delete from raw.loads'));
    const failure = await build().catch((err: unknown) => err);
    expect((failure as EltError).message).toMatch(new RegExp(`^model ${model} \\(.*\\) failed to build in environment dev: `));
    expect((failure as EltError).message).toContain(why);
    expect(await productionSnapshot()).toEqual(before);
    expect(await readEnvironments(db.pool)).toEqual([]);
  },
);

test('an environment is refused while production has a load not yet folded in, naming the command that folds it', async () => {
  await insertRawEvents(db.pool, [EVENTS[0] as LakeRow], 'test://late');
  try {
    editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
    await expect(build()).rejects.toThrow('production has loads not yet folded into its models: run elt refresh, then elt build --env dev');
  } finally {
    await db.pool.query("update raw.loads set status = 'replaced' where source_uri like 'test://late/%'");
    await buildModels(db.pool, { dir: modelsDir, log: silentLogger, full: true });
  }
});

test('dropping an environment drops its schemas and record only; a view outside it that reads it stops the drop', async () => {
  editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  await build();
  await db.pool.query('create view public.reads_dev as select * from marts__dev.category_ctr_daily');
  await expect(dropEnvironment(db.pool, 'dev')).rejects.toThrow(
    'cannot drop environment dev: view public.reads_dev (outside it) depends on table marts__dev.category_ctr_daily: drop it first; nothing was dropped',
  );
  await db.pool.query('drop view public.reads_dev');
  const before = await productionSnapshot();
  expect(await dropEnvironment(db.pool, 'dev')).toEqual(['marts__dev']);
  expect(await readEnvironments(db.pool)).toEqual([]);
  expect(await rows("select to_regnamespace('marts__dev') is null as gone")).toEqual([{ gone: true }]);
  expect(await productionSnapshot()).toEqual(before);
});
