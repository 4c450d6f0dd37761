/**
 * What a stretch of SQL is, as Postgres reads it: `code`, a `comment` (`-- ...` to the end
 * of the line, or `/* ... *\/`, which nest), a `string` literal ('...', with '' inside;
 * E'...' also with backslash escapes), a `quoted` identifier ("...", with "" inside), or
 * `dollar`-quoted text ($tag$...$tag$). Only `code` holds names a model reads.
 */
export type SqlTokenKind = 'code' | 'comment' | 'string' | 'quoted' | 'dollar';

export interface SqlToken {
  kind: SqlTokenKind;
  /** exactly as written: the tokens' texts joined are the SQL */
  text: string;
}

const DOLLAR_TAG = /\$[A-Za-z_][A-Za-z0-9_]*\$|\$\$/y;
/** An E (or e) just before a quote, not the end of a longer word: an escape string (tested on the last two characters of code). */
const ESCAPE_PREFIX = /(?:^|[^A-Za-z0-9_$])[eE]$/;
const IDENTIFIER_END = /[A-Za-z0-9_$]$/;

/**
 * `sql` cut into tokens, in one pass (linear in its length, whatever it holds). An
 * unterminated comment, literal or quoted text runs to the end. The one tokenizer of model
 * SQL: the checksum's normal form (sqlCode, transform/model-header.ts) and the rewriter of
 * references to models (transform/relation-references.ts) read it.
 */
export function sqlTokens(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let code = '';
  const push = (kind: SqlTokenKind, text: string) => {
    if (code !== '') tokens.push({ kind: 'code', text: code });
    code = '';
    tokens.push({ kind, text });
  };
  let index = 0;
  while (index < sql.length) {
    const char = sql[index] as string;
    const next = sql[index + 1];
    if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', index);
      const stop = end === -1 ? sql.length : end;
      push('comment', sql.slice(index, stop));
      index = stop;
    } else if (char === '/' && next === '*') {
      let depth = 1;
      let end = index + 2;
      while (end < sql.length && depth > 0) {
        if (sql.startsWith('/*', end)) {
          depth += 1;
          end += 2;
        } else if (sql.startsWith('*/', end)) {
          depth -= 1;
          end += 2;
        } else end += 1;
      }
      push('comment', sql.slice(index, end));
      index = end;
    } else if (char === "'" || char === '"') {
      const escapes = char === "'" && ESCAPE_PREFIX.test(code.slice(-2));
      let end = index + 1;
      while (end < sql.length) {
        if (escapes && sql[end] === '\\') end += 2;
        else if (sql[end] === char && sql[end + 1] === char) end += 2;
        else if (sql[end] === char) break;
        else end += 1;
      }
      const stop = Math.min(end + 1, sql.length);
      push(char === "'" ? 'string' : 'quoted', sql.slice(index, stop));
      index = stop;
    } else if (char === '$' && !IDENTIFIER_END.test(code.slice(-1)) && ((DOLLAR_TAG.lastIndex = index), DOLLAR_TAG.test(sql))) {
      const tag = sql.slice(index, DOLLAR_TAG.lastIndex);
      const end = sql.indexOf(tag, index + tag.length);
      const stop = end === -1 ? sql.length : end + tag.length;
      push('dollar', sql.slice(index, stop));
      index = stop;
    } else {
      code += char;
      index += 1;
    }
  }
  if (code !== '') tokens.push({ kind: 'code', text: code });
  return tokens;
}
