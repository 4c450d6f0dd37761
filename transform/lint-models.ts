/**
 * lint-models: the house style of the SQL models, checked (see docs/development/lint.md):
 * a header comment with the grain, lower-case keywords, every relation read from
 * either a CTE or a schema-qualified table (REFRESH runs with an empty search_path
 * since Postgres 17), lines of at most 120 characters, `select * from final` last, and
 * a `-- column <name>: ...` description for every column of every model.
 *
 * `elt lint [<models-dir> ...]` runs it (cli/commands/lint.ts); `npm run lint` lints
 * models/ and each example project's models/ with it.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { EltError, ExitCode } from '../core/errors';
import { checkModelsFolderExists, MODEL_SCHEMAS } from './model-catalog';
import { parseHeader, settingsOf } from './model-header';

const KEYWORDS = [
  'select',
  'from',
  'where',
  'group',
  'by',
  'order',
  'having',
  'join',
  'left',
  'inner',
  'outer',
  'on',
  'with',
  'as',
  'and',
  'or',
  'not',
  'case',
  'when',
  'then',
  'else',
  'end',
  'over',
  'partition',
  'filter',
  'cross',
  'distinct',
  'union',
  'all',
  'is',
  'null',
  'in',
  'between',
  'rows',
  'unbounded',
  'preceding',
  'current',
  'row',
];
const UPPER_KEYWORD = new RegExp(`\\b(${KEYWORDS.map((k) => k.toUpperCase()).join('|')})\\b`);
const MAX_LINE = 120;

/** Code without comments and string literals (replaced by spaces), so checks see only SQL. */
function codeOnly(sql: string): string {
  return sql.replace(/--[^\n]*/g, (m) => ' '.repeat(m.length)).replace(/'(?:[^']|'')*'/g, (m) => ' '.repeat(m.length));
}

/**
 * The style problems of one model (or, with kind 'test', one data test), as
 * `line N: message` strings. A data test needs `-- test:` and `-- model:` header
 * lines instead of a grain, and may end as it likes.
 */
export function lintModel(sql: string, kind: 'model' | 'test' = 'model'): string[] {
  const problems: string[] = [];
  const header = parseHeader(sql).lines;
  const required =
    kind === 'model'
      ? [['grain', 'one row per ...']]
      : [
          ['test', 'what must hold'],
          ['model', 'schema.model'],
        ];
  for (const [key, hint] of required) {
    if (!header.some((line) => line.startsWith(`${key}:`))) problems.push(`line 1: the header comment needs a "-- ${key}: ${hint}" line`);
  }
  const code = codeOnly(sql);
  const cteNames = new Set([...code.matchAll(/\b([a-z_][a-z0-9_]*)\s+as\s*\(/g)].map((m) => m[1]));
  // split once: each line's length is looked up, never the text split again per line
  const sqlLines = sql.split('\n');
  code.split('\n').forEach((line, index) => {
    const at = `line ${index + 1}`;
    const upper = UPPER_KEYWORD.exec(line);
    if (upper) problems.push(`${at}: keyword "${upper[1]}" should be lower case`);
    if ((sqlLines[index] ?? '').length > MAX_LINE) problems.push(`${at}: longer than ${MAX_LINE} characters`);
    // `is distinct from x` and `extract(epoch from x)` read columns, not relations
    for (const match of line.matchAll(/(?<!distinct\s+|\(\w+\s+)\b(?:from|join)\s+([a-z_][a-z0-9_]*)(\.)?/g)) {
      const name = match[1] as string;
      if (!match[2] && !cteNames.has(name) && !['unnest', 'lateral', 'generate_series'].includes(name)) {
        problems.push(`${at}: "${name}" is neither a CTE nor schema-qualified (write schema.${name})`);
      }
    }
  });
  if (kind === 'model' && !/select \* from final\s*;?\s*$/.test(sql.trim())) problems.push('last line: a model ends with "select * from final"');
  return problems;
}

/**
 * The columns a model's `final` CTE selects, read from its select list: each item's
 * alias (`... as name`) or the column it names (`cte.name`, `name`). Commas inside
 * parentheses (function calls, window clauses) do not split items.
 */
export function finalColumns(sql: string): string[] {
  const code = codeOnly(sql);
  const start = /\bfinal\s+as\s*\(\s*select\s/.exec(code);
  if (!start) return [];
  const items: string[] = [];
  let depth = 0;
  let item = '';
  // the select list ends at the first `from` outside parentheses (`extract(epoch from x)` is inside)
  for (let at = start.index + start[0].length; at < code.length; at += 1) {
    const char = code[at] as string;
    if (depth === 0 && /\sfrom\s/.test(code.slice(at, at + 6))) break;
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    // a final with no from (`final as (select 1 as n)`) ends at its closing parenthesis
    if (depth < 0) break;
    if (char === ',' && depth === 0) {
      items.push(item);
      item = '';
    } else item += char;
  }
  items.push(item);
  return items.map((text) => {
    const trimmed = text.trim();
    // a name starts where no name character precedes it: a long word is tried once, not from each of its characters
    return /\bas\s+([a-z_][a-z0-9_]*)$/.exec(trimmed)?.[1] ?? /(?<![a-z0-9_])([a-z_][a-z0-9_]*)$/.exec(trimmed)?.[1] ?? trimmed;
  });
}

/**
 * Every column a model selects needs a `-- column <name>: <text>` description: it becomes
 * the column's comment, what `\d+`, BI tools and the next developer read (marts, and the
 * staging and intermediate models they are built from). The columns are read from the
 * `final` select list (finalColumns); a final that selects `*` (or `cte.*`) from another
 * CTE names no columns there, so its descriptions are not checked (the build still fails a
 * `-- column` line naming a column the relation lacks).
 */
export function lintColumnDescriptions(sql: string): string[] {
  const columns = finalColumns(sql);
  if (columns.some((column) => column.includes('*'))) return [];
  const described = new Set(settingsOf(parseHeader(sql), 'column').map((entry) => entry.name));
  return columns
    .filter((column) => !described.has(column))
    .map((column) => `line 1: column "${column}" has no description (add "-- column ${column}: what it means" to the header)`);
}

/** The most a model or data test file may hold: a model is SQL text, not data. */
export const MAX_MODEL_FILE_BYTES = 1024 * 1024;

/** The most problems reported for one file (the rest are counted): a report as long as the file helps no one. */
export const MAX_PROBLEMS_PER_FILE = 20;

/** The folders of a models folder the build reads: the layers' models, then the data tests. */
const LINTED_FOLDERS = [...MODEL_SCHEMAS, 'tests'] as const;

/** One style problem: the file (under the folder given) and `line N: what`. */
export interface LintProblem {
  file: string;
  message: string;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * The text of a model file, as the build reads it (through a link, if it is one), but
 * never waiting on a FIFO (O_NONBLOCK), never reading a device or more than
 * MAX_MODEL_FILE_BYTES: what is read is the descriptor that was checked.
 */
function readModelFile(path: string): string {
  const refuse = (why: string) => new EltError(`model file ${path}: ${why}`, ExitCode.usage);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw refuse(`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw refuse(`${kindOf(stats)}, where a regular file was expected`);
    if (stats.size > MAX_MODEL_FILE_BYTES) throw refuse(`${stats.size} bytes, more than the ${MAX_MODEL_FILE_BYTES} a model may hold`);
    // one byte more than the bound: a file that grew since fstat is refused too
    const buffer = Buffer.alloc(MAX_MODEL_FILE_BYTES + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) read = readSync(fd, buffer, length, buffer.length - length, length);
    if (length > MAX_MODEL_FILE_BYTES) throw refuse(`more than the ${MAX_MODEL_FILE_BYTES} bytes a model may hold`);
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The `.sql` entries of one folder of a models folder, sorted; none when it has no such folder. */
function sqlEntries(dir: string, folder: string): string[] {
  try {
    return readdirSync(join(dir, folder))
      .filter((name) => name.endsWith('.sql'))
      .sort()
      .map((name) => join(dir, folder, name));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new EltError(`models folder ${dir}: cannot read ${folder}/ (${code ?? String(err)})`, ExitCode.usage, { cause: err });
  }
}

/**
 * Lints the models and data tests of a models folder: exactly the files the build and
 * `elt test` read (`staging/`, `intermediate/`, `marts/` and `tests/`, `*.sql`, one level
 * deep), each a regular file of at most MAX_MODEL_FILE_BYTES. A folder that does not exist,
 * is not a folder or holds no such file is a usage error (exit 2), as for `--models`.
 *
 * @example lintModelsFolder('models') // { files: 12, problems: [] }
 */
export function lintModelsFolder(dir: string): { files: number; problems: LintProblem[] } {
  checkModelsFolderExists(dir);
  const files = LINTED_FOLDERS.flatMap((folder) =>
    sqlEntries(dir, folder).map((path) => ({ path, kind: folder === 'tests' ? ('test' as const) : ('model' as const) })),
  );
  if (files.length === 0) {
    throw new EltError(
      `models folder ${dir} holds no model (no *.sql in ${LINTED_FOLDERS.map((folder) => `${folder}/`).join(', ')})`,
      ExitCode.usage,
    );
  }
  const problems = files.flatMap(({ path, kind }) => {
    const sql = readModelFile(path);
    const columnProblems = kind === 'model' ? lintColumnDescriptions(sql) : [];
    const all = [...lintModel(sql, kind), ...columnProblems];
    const shown =
      all.length > MAX_PROBLEMS_PER_FILE ? [...all.slice(0, MAX_PROBLEMS_PER_FILE), `and ${all.length - MAX_PROBLEMS_PER_FILE} more problems`] : all;
    return shown.map((message) => ({ file: path, message }));
  });
  return { files: files.length, problems };
}
