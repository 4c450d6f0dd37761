import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { silentLogger } from '../../core/log';
import { buildModels } from '../../transform/build-models';
import { readModels } from '../../transform/model-catalog';
import { insertRawEvents } from '../helpers/raw-events';
import { copyOfModels, createTestDatabase, type TestDatabase } from '../helpers/test-database';

let db: TestDatabase;
let modelsDir: string;

beforeEach(async () => {
  db = await createTestDatabase({ migrated: true });
  modelsDir = copyOfModels();
  await insertRawEvents(db.pool, [
    { ts: '2019-02-15 10:00:00 +0000', session: 's', event: 'my_news_card_viewed', user: 'u', attributes: { id: 'a', category: 'news' } },
  ]);
});
afterEach(() => db.drop());

const build = () => buildModels(db.pool, { dir: modelsDir, log: silentLogger });

function editModel(relativePath: string, edit: (sql: string) => string): void {
  const path = join(modelsDir, relativePath);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`the edit changed nothing in ${relativePath}`);
  writeFileSync(path, after);
}

/** Every model relation (and source view) with its oid, and elt.models' built_at: what a rebuild would change. */
async function relations(): Promise<unknown[]> {
  const { rows } = await db.pool.query(
    `select n.nspname || '.' || c.relname as name, c.oid::int as oid, m.built_at
       from pg_class as c
       join pg_namespace as n on n.oid = c.relnamespace
       left join elt.models as m on m.name = n.nspname || '.' || c.relname
      where n.nspname in ('staging', 'intermediate', 'marts') and c.relkind in ('r', 'v', 'm')
      order by 1`,
  );
  return rows;
}

async function comment(relation: string): Promise<string | null> {
  const { rows } = await db.pool.query<{ d: string | null }>("select obj_description($1::regclass, 'pg_class') as d", [relation]);
  return rows[0]?.d ?? null;
}

async function columnComment(relation: string, column: string): Promise<string | null> {
  const { rows } = await db.pool.query<{ d: string | null }>(
    'select col_description($1::regclass, (select attnum from pg_attribute where attrelid = $1::regclass and attname = $2)) as d',
    [relation, column],
  );
  return rows[0]?.d ?? null;
}

const modelFiles = () =>
  ['staging', 'intermediate', 'marts'].flatMap((layer) => readdirSync(join(modelsDir, layer)).map((file) => `${layer}/${file}`));

test('editing only comments (header, inline, block, trailing) in every model file rebuilds nothing: same relations, same built_at', async () => {
  await build();
  const before = await relations();
  for (const file of modelFiles()) {
    editModel(file, (sql) =>
      sql
        .replace(/\nwith\n/, '\n-- a new note before the query\nwith /* and a block comment */\n')
        .replace(/select \* from final\s*$/, 'select * from final -- the end\n\n'),
    );
  }
  const result = await build();
  expect(result.built).toEqual([]);
  expect(await relations()).toEqual(before);
});

test('re-indenting a model changes nothing either; a real SQL change still rebuilds', async () => {
  await build();
  const before = await relations();
  editModel('marts/category_ctr_daily.sql', (sql) => sql.replace(/\n {4}/g, '\n  '));
  expect((await build()).built).toEqual([]);
  expect(await relations()).toEqual(before);
  editModel('marts/category_ctr_daily.sql', (sql) => sql.replace('select * from final', 'select * from final where true'));
  expect((await build()).built).toEqual(['marts.category_ctr_daily']);
});

test("a model's description (its header lines that are not settings) and its -- column lines become the comments of the relation and its columns", async () => {
  await build();
  expect(await comment('marts.user_performance')).toBe(
    [
      'user_performance: sessions, average session length, displays, clicks and CTR per user and day.',
      'sessions counts the sessions that start that day (int_sessions); a day with',
      'events but no session start has 0 sessions and a NULL average.',
      'grain: one row per identified user and day with an event; key: (user_id, date).',
    ].join('\n'),
  );
  expect(await columnComment('marts.user_performance', 'ctr')).toBe('article_views / card_views; NULL without displays');
  expect(await columnComment('marts.user_performance', 'user_id')).toBe('MD5(USER_ID) of the events (a non-empty value)');
  expect(await comment('intermediate.int_events')).toMatch(/^int_events: the typed events/);
  expect(await comment('staging.stg_events')).toMatch(/^stg_events: every accepted lake event/);
});

test('changing only a description changes the comment and rebuilds nothing', async () => {
  await build();
  const before = await relations();
  editModel('intermediate/int_events.sql', (sql) => sql.replace('-- int_events: the typed events', '-- int_events: the events, typed'));
  editModel('marts/user_performance.sql', (sql) =>
    sql
      .replace('-- column ctr: article_views / card_views; NULL without displays', '-- column ctr: clicks per display')
      .replace(/-- column sessions: [^\n]*\n(-- {2,}[^\n]*\n)*/, '')
      .replace(/-- column user_id: [^\n]*\n/, '-- column user_id: the user\n'),
  );
  const result = await build();
  expect(result.built).toEqual([]);
  expect(await relations()).toEqual(before);
  expect(await comment('intermediate.int_events')).toMatch(/^int_events: the events, typed/);
  expect(await columnComment('marts.user_performance', 'ctr')).toBe('clicks per display');
  expect(await columnComment('marts.user_performance', 'user_id')).toBe('the user');
  expect(await columnComment('marts.user_performance', 'sessions')).toBeNull();
});

test('a -- column line naming a column the model lacks fails the build naming the model, and changes nothing', async () => {
  await build();
  editModel('marts/user_performance.sql', (sql) => sql.replace('-- column ctr:', '-- column click_rate:'));
  await expect(build()).rejects.toThrow(
    /model marts\.user_performance \(.*user_performance\.sql\): "-- column click_rate:" describes a column the model does not have/,
  );
  expect(await columnComment('marts.user_performance', 'ctr')).toBe('article_views / card_views; NULL without displays');
});

test('changing a setting that changes the relation (an index) rebuilds the model; not_null (a test setting) does not', async () => {
  await build();
  editModel('marts/user_performance.sql', (sql) => sql.replace('-- not_null: user_id, date, sessions,', '-- not_null: user_id, date,'));
  expect((await build()).built).toEqual([]);
  editModel('marts/user_performance.sql', (sql) =>
    sql.replace('-- unique_key: user_id, date\n', '-- unique_key: user_id, date\n-- index: sessions\n'),
  );
  expect((await build()).built).toEqual(['marts.user_performance']);
});

test('a database built by a version that checksummed the whole file is not rebuilt for the new checksum, then follows comment edits', async () => {
  await build();
  // what earlier versions stored: sha256 of kind, key and the whole file
  for (const model of readModels(modelsDir)) {
    const legacy = createHash('sha256')
      .update(`${model.materialized}\n${model.uniqueKey.join(',')}\n${model.sql}`)
      .digest('hex');
    await db.pool.query('update elt.models set checksum = $2 where name = $1', [model.name, legacy]);
  }
  const before = await relations();
  expect((await build()).built).toEqual([]);
  expect(await relations()).toEqual(before);
  editModel('staging/stg_events.sql', (sql) => sql.replace('-- stg_events:', '-- stg_events (edited):'));
  expect((await build()).built).toEqual([]);
  expect(await relations()).toEqual(before);
});
