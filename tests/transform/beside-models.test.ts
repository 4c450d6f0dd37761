import { readingBeside } from '../../transform/beside-models';

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
  expect(readingBeside('select marts.a.x from marts.a', rebuilt)).toBe('select marts.a__new.x from marts.a__new as a');
});

test('models not rebuilt, string literals, comments and longer names are left as they are', () => {
  expect(readingBeside("select 'marts.a' as t, x from marts.c -- marts.a\n", rebuilt)).toBe("select 'marts.a' as t, x from marts.c");
  expect(readingBeside('select * from marts.ab, xmarts.a', rebuilt)).toBe('select * from marts.ab, xmarts.a');
  expect(readingBeside("select 'it''s marts.a' from marts.a", rebuilt)).toBe("select 'it''s marts.a' from marts.a__new as a");
});
