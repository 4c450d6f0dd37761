import { EltError } from '../../core/errors';
import { environmentSql } from '../../transform/environment-sql';

const IN_ENV = new Set(['intermediate.int_events', 'marts.article_performance']);
const rewrite = (sql: string) => environmentSql('marts.x', sql, IN_ENV, 'dev');

test('a reference to a model in the environment is rewritten to its schema; one to a model outside it stays production', () => {
  expect(rewrite('select * from intermediate.int_events join intermediate.int_sessions using (user_id)')).toBe(
    'select * from intermediate__dev.int_events join intermediate.int_sessions using (user_id)',
  );
});

test('string literals, quoted identifiers, dollar-quoted text and comments are never rewritten (comments become a space)', () => {
  expect(rewrite("select 'intermediate.int_events' as a, $q$intermediate.int_events$q$ as b -- intermediate.int_events\nfrom t")).toBe(
    "select 'intermediate.int_events' as a, $q$intermediate.int_events$q$ as b  \nfrom t",
  );
  expect(rewrite("select E'it\\'s intermediate.int_events' as a from intermediate.int_events")).toBe(
    "select E'it\\'s intermediate.int_events' as a from intermediate__dev.int_events",
  );
  expect(rewrite('select "intermediate.int_events" from intermediate.int_events')).toBe(
    'select "intermediate.int_events" from intermediate__dev.int_events',
  );
});

test('a longer name that starts like a model is not that model', () => {
  expect(rewrite('select * from intermediate.int_events_2, xintermediate.int_events')).toBe(
    'select * from intermediate.int_events_2, xintermediate.int_events',
  );
});

test.each([
  ['a quoted layer', 'select * from "intermediate".int_events'],
  ['a quoted relation', 'select * from intermediate."int_events"'],
  ['spaces around the dot', 'select * from intermediate . int_events'],
  ['a comment inside the name', 'select * from intermediate/**/.int_events'],
  ['upper case', 'select * from INTERMEDIATE.int_events'],
  ['a unicode-escaped identifier', 'select * from U&"\\0069ntermediate".int_events'],
])('a model naming a layer in a spelling the dependency graph does not see is refused (%s)', (_case, sql) => {
  expect(() => rewrite(sql)).toThrow(EltError);
  expect(() => rewrite(sql)).toThrow(/model marts.x: write each model it reads as schema.relation/);
});
