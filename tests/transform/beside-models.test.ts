import { readingBeside } from '../../transform/beside-models';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// A model rebuilt beside production reads the others rebuilt with it (<name>__new): its SQL's
// references to them are rewritten, keeping the name its columns are qualified by.

const rebuilt = new Set(['marts.a', 'intermediate.b']);

test('a reference with no alias reads the relation built beside, under its own name, whatever follows it', () => {
  expect(readingBeside('select a.x from marts.a where a.x > 0', rebuilt)).toBe('select a.x from marts.a__new as a where a.x > 0');
  expect(readingBeside('select * from marts.a join intermediate.b on true', rebuilt)).toBe(
    'select * from marts.a__new as a join intermediate.b__new as b on true',
  );
  expect(readingBeside('select * from (select * from marts.a) as t, intermediate.b', rebuilt)).toBe(
    'select * from (select * from marts.a__new as a) as t, intermediate.b__new as b',
  );
});

test('a reference with an alias (as t, or a bare t) keeps it; a column qualified by schema and relation follows the rename', () => {
  expect(readingBeside('select t.x from marts.a as t', rebuilt)).toBe('select t.x from marts.a__new as t');
  expect(readingBeside('select t.x from marts.a t', rebuilt)).toBe('select t.x from marts.a__new t');
  expect(readingBeside('select marts.a.x from marts.a', rebuilt)).toBe('select a.x from marts.a__new as a');
});

test('models not rebuilt, string literals, comments and longer names are left as they are', () => {
  expect(readingBeside("select 'marts.a' as t, x from marts.c -- marts.a\n", rebuilt)).toBe("select 'marts.a' as t, x from marts.c  \n");
  expect(readingBeside('select * from marts.ab, xmarts.a', rebuilt)).toBe('select * from marts.ab, xmarts.a');
  expect(readingBeside("select 'it''s marts.a' from marts.a", rebuilt)).toBe("select 'it''s marts.a' from marts.a__new as a");
});

describe('on Postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    await db.pool.query('create table marts.a__new (x int); insert into marts.a__new values (1), (2)');
  });
  afterAll(() => db.drop());

  test.each([
    ['a column qualified by schema and relation', 'select marts.a.x from marts.a order by 1'],
    ['a column qualified by the relation', 'select a.x from marts.a order by 1'],
    ['a quoted alias', 'select "T".x from marts.a "T" order by 1'],
    ['an alias after a comment', 'select t.x from marts.a /* the mart */ t order by 1'],
  ])('the rewritten SQL runs and reads the relation built beside (%s)', async (_case, sql) => {
    expect((await db.pool.query(readingBeside(sql, rebuilt))).rows).toEqual([{ x: 1 }, { x: 2 }]);
  });

  test('a quoted identifier or dollar-quoted text naming a rebuilt model is not rewritten', () => {
    expect(readingBeside('select 1 as "marts.a", $q$marts.a$q$ as b from marts.a', rebuilt)).toBe(
      'select 1 as "marts.a", $q$marts.a$q$ as b from marts.a__new as a',
    );
  });

  test.each([
    ['a quoted layer', 'select * from "marts".a'],
    ['spaces around the dot', 'select * from marts . a'],
    ['upper case', 'select * from MARTS.a'],
  ])('a model reading a rebuilt one in a spelling the dependency graph does not see is refused (%s)', (_case, sql) => {
    expect(() => readingBeside(sql, rebuilt, 'marts.x')).toThrow(/^model marts.x: write each model it reads as schema.relation/);
  });
});
