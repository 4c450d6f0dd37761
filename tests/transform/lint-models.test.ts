import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { EltError, ExitCode } from '../../core/errors';
import {
  finalColumns,
  lintColumnDescriptions,
  lintModel,
  lintModelsFolder,
  MAX_MODEL_FILE_BYTES,
  MAX_PROBLEMS_PER_FILE,
} from '../../transform/lint-models';

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

/** GOOD with its one column described: no problem at all. */
const DESCRIBED = GOOD.replace('-- grain: one row per thing\n', '-- grain: one row per thing\n-- column id: the thing\n');

describe('lintModelsFolder: the files the build reads, each read within bounds', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'elt-lint-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A models folder holding `files` (path relative to it -> text). */
  function folder(name: string, files: Record<string, string>): string {
    const dir = join(scratch, name);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  test("every model and data test of the repository's projects is in house style", () => {
    const dirs = [join(ROOT, 'models'), ...readdirSync(join(ROOT, 'examples')).map((name) => join(ROOT, 'examples', name, 'models'))];
    const results = dirs.map((dir) => lintModelsFolder(dir));
    expect(results.reduce((sum, result) => sum + result.files, 0)).toBeGreaterThanOrEqual(29);
    expect(results.flatMap((result) => result.problems)).toEqual([]);
  });

  test('a problem names its file (under the folder given) and line; a data test is judged as a test, not as a model', () => {
    const dir = folder('mixed', {
      'marts/good.sql': DESCRIBED,
      'marts/bad.sql': DESCRIBED.replace('select id from raw.things', 'SELECT id from raw.things'),
      'tests/no_orphans.sql': '-- test: no orphans\n-- model: marts.good\nselect 1 from marts.good where false',
      'marts/notes.txt': 'not SQL: not read',
    });
    expect(lintModelsFolder(dir)).toEqual({
      files: 3,
      problems: [{ file: join(dir, 'marts', 'bad.sql'), message: 'line 7: keyword "SELECT" should be lower case' }],
    });
  });

  test('only the layer folders and tests/ are read, one level deep, as the build reads them', () => {
    const dir = folder('nested', { 'staging/ok.sql': DESCRIBED, 'marts/old/bad.sql': 'SELECT 1', 'scratch/bad.sql': 'SELECT 1' });
    expect(lintModelsFolder(dir)).toEqual({ files: 1, problems: [] });
  });

  test('a folder that does not exist, a file, or a folder with no model is a usage error (exit 2) naming it', () => {
    const missing = join(scratch, 'missing');
    expect(() => lintModelsFolder(missing)).toThrow(new EltError(`models folder ${missing} does not exist`, ExitCode.usage));
    const file = join(folder('file', { 'x.sql': DESCRIBED }), 'x.sql');
    expect(() => lintModelsFolder(file)).toThrow(`models folder ${file} is not a folder`);
    const empty = folder('empty', { 'README.md': 'no models' });
    expect(() => lintModelsFolder(empty)).toThrow(
      /^models folder .*empty holds no model \(no \*\.sql in staging\/, intermediate\/, marts\/, tests\/\)$/,
    );
    for (const dir of [missing, file, empty]) expect(exitCodeOf(() => lintModelsFolder(dir))).toBe(ExitCode.usage);
  });

  test('a model that is a FIFO, a link to a device, a folder or larger than the bound is refused in one line, without waiting or reading it all', () => {
    const dir = folder('hostile', { 'staging/ok.sql': DESCRIBED });
    const fifo = join(dir, 'marts', 'fifo.sql');
    mkdirSync(dirname(fifo), { recursive: true });
    execFileSync('mkfifo', [fifo]);
    expect(() => lintModelsFolder(dir)).toThrow(`model file ${fifo}: a FIFO, where a regular file was expected`);
    rmSync(fifo);
    symlinkSync('/dev/zero', join(dir, 'marts', 'zero.sql'));
    expect(() => lintModelsFolder(dir)).toThrow(/^model file .*zero\.sql: a character device, where a regular file was expected$/);
    rmSync(join(dir, 'marts', 'zero.sql'));
    mkdirSync(join(dir, 'marts', 'folder.sql'));
    expect(() => lintModelsFolder(dir)).toThrow(/^model file .*folder\.sql: a folder, where a regular file was expected$/);
    rmSync(join(dir, 'marts', 'folder.sql'), { recursive: true });
    writeFileSync(join(dir, 'marts', 'huge.sql'), Buffer.alloc(MAX_MODEL_FILE_BYTES + 1, 0x20));
    expect(() => lintModelsFolder(dir)).toThrow(
      `model file ${join(dir, 'marts', 'huge.sql')}: ${MAX_MODEL_FILE_BYTES + 1} bytes, more than the ${MAX_MODEL_FILE_BYTES} a model may hold`,
    );
    expect(exitCodeOf(() => lintModelsFolder(dir))).toBe(ExitCode.usage);
  });

  test('a model file linked to a regular file is read, as the build reads it', () => {
    const dir = folder('linked', { 'staging/.real.txt': DESCRIBED });
    symlinkSync(join(dir, 'staging', '.real.txt'), join(dir, 'staging', 'linked.sql'));
    expect(lintModelsFolder(dir)).toEqual({ files: 1, problems: [] });
  });

  test.each([
    ['one line of spaces', ' '.repeat(MAX_MODEL_FILE_BYTES - 10)],
    ['one long word', `with final as (select ${'a'.repeat(MAX_MODEL_FILE_BYTES - 100)}) select * from final`],
    ['many short lines, each with problems', 'SELECT x FROM y\n'.repeat(MAX_MODEL_FILE_BYTES / 16)],
    ['spaces after from', `select 1 from${' '.repeat(MAX_MODEL_FILE_BYTES - 100)}x`],
    ['many items in the final select', `with final as (select ${'a,'.repeat((MAX_MODEL_FILE_BYTES - 100) / 2)}b from t) select * from final`],
    ['an unclosed string', `select '${"''x".repeat((MAX_MODEL_FILE_BYTES - 100) / 3)}`],
  ])('a model of the largest size made of %s is linted within a few seconds, its report bounded', (_case, sql) => {
    const dir = folder(`large-${_case.replace(/\W+/g, '-')}`, { 'marts/large.sql': sql });
    const started = Date.now();
    const result = lintModelsFolder(dir);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.files).toBe(1);
    // the report is bounded too: MAX_PROBLEMS_PER_FILE problems, then how many more
    expect(result.problems.length).toBeLessThanOrEqual(MAX_PROBLEMS_PER_FILE + 1);
  });
});

function exitCodeOf(run: () => unknown): number | undefined {
  try {
    run();
  } catch (err) {
    return err instanceof EltError ? err.exitCode : undefined;
  }
  return undefined;
}

test('a final CTE with no from clause ends at its closing parenthesis: its columns are the select list, not what follows', () => {
  expect(finalColumns('with final as (select 1 as n, 2 as m)\nselect * from final')).toEqual(['n', 'm']);
});
