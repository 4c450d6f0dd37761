/**
 * lint-models: the house style of the SQL models, checked (see README "The models"):
 * a header comment with the grain, lower-case keywords, every relation read from
 * either a CTE or a schema-qualified table (REFRESH runs with an empty search_path
 * since Postgres 17), lines of at most 120 characters, `select * from final` last, and
 * a `-- column <name>: ...` description for every column of every model.
 *
 *   npx tsx transform/lint-models.ts [models-dir ...]     # exit 1 and one line per problem
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
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
  code.split('\n').forEach((line, index) => {
    const at = `line ${index + 1}`;
    const upper = UPPER_KEYWORD.exec(line);
    if (upper) problems.push(`${at}: keyword "${upper[1]}" should be lower case`);
    if ((sql.split('\n')[index] ?? '').length > MAX_LINE) problems.push(`${at}: longer than ${MAX_LINE} characters`);
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
    if (char === ',' && depth === 0) {
      items.push(item);
      item = '';
    } else item += char;
  }
  items.push(item);
  return items.map((text) => {
    const trimmed = text.trim();
    return /\bas\s+([a-z_][a-z0-9_]*)$/.exec(trimmed)?.[1] ?? /([a-z_][a-z0-9_]*)$/.exec(trimmed)?.[1] ?? trimmed;
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

function modelFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return modelFiles(path);
    return name.endsWith('.sql') ? [path] : [];
  });
}

if (require.main === module) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : [join(__dirname, '..', 'models')];
  const problems = dirs.flatMap(modelFiles).flatMap((path) => {
    const parts = path.split(sep);
    const kind = parts.includes('tests') ? 'test' : 'model';
    const sql = readFileSync(path, 'utf8');
    const columnProblems = kind === 'model' ? lintColumnDescriptions(sql) : [];
    return [...lintModel(sql, kind), ...columnProblems].map((problem) => `${relative(process.cwd(), path)}: ${problem}`);
  });
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  process.stderr.write(problems.length ? `lint-models: ${problems.length} problem(s)\n` : `lint-models: models ok (${dirs.join(', ')})\n`);
  process.exit(problems.length ? 1 : 0);
}
