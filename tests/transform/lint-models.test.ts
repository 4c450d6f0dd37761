import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { finalColumns, lintColumnDescriptions, lintModel } from '../../transform/lint-models';

const ROOT = join(__dirname, '..', '..');

const GOOD = `-- a model
-- grain: one row per thing
with

things as (
    select id from raw.things
),

final as (
    select id from things
)

select * from final`;

test('a model in house style has no problems', () => {
  expect(lintModel(GOOD)).toEqual([]);
});

test('a missing grain line in the header is reported', () => {
  expect(lintModel(GOOD.replace('-- grain: one row per thing\n', ''))).toEqual([
    'line 1: the header comment needs a "-- grain: one row per ..." line',
  ]);
});

test('an upper-case keyword is reported with its line, but not inside a string or comment', () => {
  expect(lintModel(GOOD.replace('select id from raw.things', 'SELECT id from raw.things'))).toEqual([
    'line 6: keyword "SELECT" should be lower case',
  ]);
  expect(lintModel(GOOD.replace('select id from raw.things', "select 'SELECT' as id from raw.things -- FROM"))).toEqual([]);
});

test('a relation that is neither a CTE nor schema-qualified is reported (the REFRESH search_path trap)', () => {
  expect(lintModel(GOOD.replace('from raw.things', 'from things_table'))).toEqual([
    'line 6: "things_table" is neither a CTE nor schema-qualified (write schema.things_table)',
  ]);
});

test('a model must end with select * from final', () => {
  expect(lintModel(GOOD.replace('select * from final', 'select id from final'))).toEqual(['last line: a model ends with "select * from final"']);
});

test('is distinct from and extract(... from ...) read columns, not relations', () => {
  expect(
    lintModel(GOOD.replace('select id from things', 'select id from things where id is distinct from other_id and extract(epoch from stamp) > 0')),
  ).toEqual([]);
});

test('a data test needs test and model header lines instead of a grain', () => {
  expect(lintModel('-- test: x holds\n-- model: marts.m\nselect * from marts.m where x', 'test')).toEqual([]);
  expect(lintModel('select * from marts.m', 'test')).toEqual([
    'line 1: the header comment needs a "-- test: what must hold" line',
    'line 1: the header comment needs a "-- model: schema.model" line',
  ]);
});

test("a mart's columns are read from its final select list: aliases, qualified names, commas inside calls and windows", () => {
  const sql = `-- m
-- grain: one row per a
with

final as (
    select
        t.a,
        b,
        sum(t.c) over (
            partition by t.a, b
            order by t.d
        )::bigint as running_c,
        coalesce(t.e, 0) as e
    from t
)

select * from final`;
  expect(finalColumns(sql)).toEqual(['a', 'b', 'running_c', 'e']);
});

test('a column without a "-- column" description is reported, in any model; described ones are not', () => {
  const described = GOOD.replace('-- grain: one row per thing', '-- grain: one row per thing\n-- column id: the thing');
  expect(lintColumnDescriptions(described)).toEqual([]);
  expect(lintColumnDescriptions(GOOD)).toEqual(['line 1: column "id" has no description (add "-- column id: what it means" to the header)']);
});

test('a final that selects * from another CTE names no columns: its descriptions are not checked', () => {
  expect(lintColumnDescriptions(GOOD.replace('select id from things', 'select * from things'))).toEqual([]);
  expect(lintColumnDescriptions(GOOD.replace('select id from things', 'select things.* from things'))).toEqual([]);
});

test('every column of every model in the repository (models/, examples/*/models/) has a description', () => {
  const sqlFiles = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return name === 'tests' ? [] : sqlFiles(path);
      return name.endsWith('.sql') ? [path] : [];
    });
  const dirs = [join(ROOT, 'models'), ...readdirSync(join(ROOT, 'examples')).map((name) => join(ROOT, 'examples', name, 'models'))];
  const files = dirs.filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory()).flatMap(sqlFiles);
  expect(files.length).toBeGreaterThanOrEqual(17);
  const problems = files.flatMap((file) =>
    lintColumnDescriptions(readFileSync(file, 'utf8')).map((problem) => `${relative(ROOT, file)}: ${problem}`),
  );
  expect(problems).toEqual([]);
});
