import { sqlTokens } from './sql-tokens';

/**
 * The header of a model (or data test) file, the one place that reads it: the comment
 * lines at the top of the file, before the first line of SQL.
 *
 * ```sql
 * -- user_performance: sessions, displays, clicks and CTR per user and day.   <- description
 * -- grain: one row per identified user and day; key: (user_id, date).       <- description
 * -- materialized: materialized_view                                         <- setting
 * -- unique_key: user_id, date                                               <- setting
 * -- column ctr: article_views / card_views; NULL without displays           <- column description
 * -- expect ctr_matches_counts: ctr = article_views::numeric / card_views    <- assertion (a data test)
 * ```
 *
 * A line is a setting when it starts with one of SETTING_KEYS and a colon (`column`
 * and `expect` also take a name before the colon); lines indented by two or more
 * spaces right after a setting continue its value. Every other header line is the
 * model's description, kept in order (with its indentation).
 */

/** The header keys that are settings; any other header line is description. */
export const SETTING_KEYS = [
  'materialized',
  'unique_key',
  'not_null',
  'index',
  'incremental_by',
  'incremental_from',
  'column',
  'expect',
  // data tests (models/tests/*.sql)
  'test',
  'model',
] as const;

export type SettingKey = (typeof SETTING_KEYS)[number];

/** One setting line: `-- key: value` or `-- key name: value`. */
export interface HeaderSetting {
  key: SettingKey;
  /** the name of a `column` or `expect` line */
  name?: string;
  value: string;
  /** 1-based line number in the file */
  line: number;
  /** how many indented lines after it continue the value */
  continued: number;
}

export interface Header {
  /** the text of every header line (without `--`), settings included */
  lines: string[];
  /** the description lines (the header lines that are not settings), joined by newlines */
  description: string;
  settings: HeaderSetting[];
}

const SETTING_LINE = new RegExp(`^(${SETTING_KEYS.join('|')})(?:\\s+([a-z_][a-z0-9_]*))?\\s*:\\s*(.*)$`);

/** Reads the leading comment block of a model or data-test file. */
export function parseHeader(sql: string): Header {
  const lines: string[] = [];
  const description: string[] = [];
  const settings: HeaderSetting[] = [];
  const fileLines = sql.split('\n');
  for (let index = 0; index < fileLines.length; index += 1) {
    const line = (fileLines[index] ?? '').trim();
    if (!line.startsWith('--')) break;
    const text = line.replace(/^--\s?/, '').trimEnd();
    lines.push(text.trim());
    const previous = settings.at(-1);
    if (previous && previous.line + previous.continued === index && /^\s{2,}\S/.test(text)) {
      // an indented line right after a setting continues its value
      previous.value = [previous.value, text.trim()].filter(Boolean).join(' ');
      previous.continued += 1;
      continue;
    }
    const match = SETTING_LINE.exec(text.trim());
    if (match) {
      const setting: HeaderSetting = { key: match[1] as SettingKey, value: (match[3] ?? '').trim(), line: index + 1, continued: 0 };
      if (match[2] !== undefined) setting.name = match[2];
      settings.push(setting);
    } else {
      description.push(text);
    }
  }
  return { lines, description: description.join('\n').trim(), settings };
}

/** The value of the first `key` setting (without a name), if any. */
export function setting(header: Header, key: SettingKey): string | undefined {
  return header.settings.find((candidate) => candidate.key === key && candidate.name === undefined)?.value;
}

/** Every `key` setting, in order (repeatable keys: `index`, `column`, `expect`). */
export function settingsOf(header: Header, key: SettingKey): HeaderSetting[] {
  return header.settings.filter((candidate) => candidate.key === key);
}

/** A comma-separated list of columns (`a, b`), empty when unset. */
export function columnList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((column) => column.trim())
    .filter(Boolean);
}

/**
 * The SQL without its comments and with every run of whitespace as one space, string
 * literals, quoted identifiers and dollar-quoted bodies left exactly as written:
 * two files that differ only in comments or layout give the same text.
 *
 *   sqlCode("select 1 -- one\n  as x") === "select 1 as x"
 */
export function sqlCode(sql: string): string {
  let out = '';
  const space = () => {
    if (out.length > 0 && !out.endsWith(' ')) out += ' ';
  };
  for (const token of sqlTokens(sql)) {
    if (token.kind === 'comment') space();
    else if (token.kind !== 'code') out += token.text;
    else {
      for (const part of token.text.split(/(\s+)/)) {
        if (part === '') continue;
        if (/^\s/.test(part)) space();
        else out += part;
      }
    }
  }
  return out.trim();
}

/** Words of an expression that are SQL, not column names. */
const SQL_WORDS = new Set([
  'and',
  'or',
  'not',
  'is',
  'null',
  'true',
  'false',
  'distinct',
  'from',
  'case',
  'when',
  'then',
  'else',
  'end',
  'in',
  'between',
  'like',
  'ilike',
  'similar',
  'to',
  'any',
  'all',
  'some',
  'array',
  'as',
  'cast',
  'interval',
  'unknown',
  'collate',
  'at',
  'time',
  'zone',
  'isnull',
  'notnull',
  'exists',
]);

/**
 * The column names an expression reads, in order of first use: its identifiers that
 * are neither SQL words, function names (followed by `(`), types (after `::`) nor
 * inside string literals.
 *
 *   columnsOf("ctr is not distinct from article_views::numeric / nullif(card_views, 0)")
 *     // ['ctr', 'article_views', 'card_views']
 */
export function columnsOf(expression: string): string[] {
  const code = sqlCode(expression)
    .replace(/'(?:[^']|'')*'/g, ' ')
    .replace(/"(?:[^"]|"")*"/g, ' ');
  const columns: string[] = [];
  for (const match of code.matchAll(/(::\s*)?\b([a-z_][a-z0-9_]*)\b(\s*\()?/gi)) {
    const word = (match[2] as string).toLowerCase();
    if (match[1] || match[3] || SQL_WORDS.has(word) || /^\d/.test(word)) continue;
    if (!columns.includes(word)) columns.push(word);
  }
  return columns;
}
