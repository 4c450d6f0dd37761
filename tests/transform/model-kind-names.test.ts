import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_KINDS } from '../../transform/model-kinds';

// What a model kind means is decided in one file, transform/model-kinds.ts: the rest of
// the code asks its record, and the SQL names a kind only where it must (issue 24).

const REPO = join(__dirname, '..', '..');
const HOME = 'transform/model-kinds.ts';
const tracked = (pattern: string) =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', pattern], { cwd: REPO, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

/** `materialized === 'x'`, `.materialized !== "x"`, `'x' == model.materialized`: a kind compared to a literal, either way round. */
const COMPARED_TO_LITERAL = /materialized\s*[!=]==?\s*['"`]|['"`]\s*[!=]==?\s*[\w.?]*materialized\b/;

/** The kind names a piece of SQL compares elt.models.materialized with (`= 'x'`, `<> 'x'`, `in ('x', 'y')`). */
function kindNamesInSql(sql: string): string[] {
  const names: string[] = [];
  for (const match of sql.matchAll(/materialized\s*(?:=|<>|!=)\s*'([^']*)'/gi)) names.push(match[1] as string);
  for (const match of sql.matchAll(/materialized\s+(?:not\s+)?in\s*\(([^)]*)\)/gi)) {
    for (const literal of (match[1] as string).matchAll(/'([^']*)'/g)) names.push(literal[1] as string);
  }
  return names;
}

test('the literal detector finds a kind compared to a literal in either order and with either quote, and not other comparisons', () => {
  expect(COMPARED_TO_LITERAL.test("if (model.materialized === 'view') x();")).toBe(true);
  expect(COMPARED_TO_LITERAL.test('m.materialized !== "incremental"')).toBe(true);
  expect(COMPARED_TO_LITERAL.test("'table' === model.materialized")).toBe(true);
  expect(COMPARED_TO_LITERAL.test('materialized == `view`')).toBe(true);
  expect(COMPARED_TO_LITERAL.test('MODEL_KINDS[model.materialized].fill === "on-read"')).toBe(false);
  expect(COMPARED_TO_LITERAL.test("row.how === 'incremental'")).toBe(false);
});

test(`no source file but ${HOME} compares a model's kind (materialized) to a literal`, () => {
  const offending = tracked('*.ts')
    .filter((file) => !file.startsWith('tests/') && file !== HOME)
    .flatMap((file) =>
      readFileSync(join(REPO, file), 'utf8')
        .split('\n')
        .map((line, index) => ({ file, line: index + 1, text: line.trim() }))
        .filter((entry) => COMPARED_TO_LITERAL.test(entry.text)),
    )
    .map((entry) => `${entry.file}:${entry.line}: ${entry.text}`);
  expect(offending).toEqual([]);
});

test('the SQL kind-name reader finds =, <> and in (...) comparisons', () => {
  expect(kindNamesInSql("where m.materialized = 'a' and d.materialized <> 'b' or x.materialized in ('c', 'd')")).toEqual(['a', 'b', 'c', 'd']);
});

test('every kind name the procedures (db/procedures/*.sql) compare elt.models.materialized with is a kind of MODEL_KINDS', () => {
  const files = tracked('db/procedures/*.sql');
  const used = files.flatMap((file) => kindNamesInSql(readFileSync(join(REPO, file), 'utf8')).map((name) => ({ file, name })));
  // the engine and the refresh do name kinds: a reader that found none would prove nothing
  expect(new Set(used.map((entry) => entry.name))).toEqual(new Set(['incremental', 'materialized_view']));
  const unknown = used.filter((entry) => !Object.hasOwn(MODEL_KINDS, entry.name)).map((entry) => `${entry.file}: '${entry.name}'`);
  expect(unknown).toEqual([]);
});
