import { EltError, ExitCode } from '../core/errors';
import { MODEL_SCHEMAS } from './model-layers';
import { sqlTokens, type SqlToken } from './sql-tokens';

/** `layer.relation` as readModels finds a model's dependencies (transform/model-catalog.ts). */
const REFERENCE = new RegExp(`\\b(${MODEL_SCHEMAS.join('|')})\\.([a-z_][a-z0-9_]*)\\b`, 'g');
/** A layer's name and a dot, in any case and spacing: each must be spelled as REFERENCE takes it. */
const LAYER_DOT = new RegExp(`\\b(?:${MODEL_SCHEMAS.join('|')})\\s*\\.\\s*.?`, 'gi');
const PLAIN_LAYER_DOT = new RegExp(`^(?:${MODEL_SCHEMAS.join('|')})\\.[a-z_]$`);
/** A quoted identifier naming a layer (`"marts".x`): one too. */
const QUOTED_LAYER = new RegExp(`^"(${MODEL_SCHEMAS.join('|')})"$`, 'i');
/** The first word, or punctuation, of a text: what follows a reference. */
const FIRST_WORD = /^\s*([a-z_][a-z0-9_$]*|[^\s])?/i;

/** One reference to a model in a model's SQL, with what follows it (for the caller to tell an alias). */
export interface ModelReference {
  /** `marts.article_performance` */
  name: string;
  schema: string;
  relation: string;
  /** it qualifies a column: `marts.a.x` */
  qualifiesColumn: boolean;
  /** the next word (lower case) or punctuation after it, past comments: `as`, `where`, `,`, `"` (a quoted word), '' at the end */
  next: string;
}

const hidden = (what: string, detail = ''): EltError =>
  new EltError(
    `${what}: write each model it reads as schema.relation, unquoted and without spaces${detail} (elt rewrites those only when it builds beside production or in an environment)`,
    ExitCode.modelFailed,
  );

/** What follows position `from` of code token `at`: its first word, past whitespace and comments. */
function nextWord(tokens: SqlToken[], at: number, rest: string): string {
  const here = FIRST_WORD.exec(rest)?.[1];
  if (here !== undefined) return here.toLowerCase();
  for (let index = at + 1; index < tokens.length; index += 1) {
    const token = tokens[index] as SqlToken;
    if (token.kind === 'comment') continue;
    if (token.kind !== 'code') return token.text[0] as string;
    const word = FIRST_WORD.exec(token.text)?.[1];
    if (word !== undefined) return word.toLowerCase();
  }
  return '';
}

/**
 * A model's SQL with each reference to a model (`marts.x`, the spelling readModels takes
 * for a dependency) replaced by what `rewrite` returns for it. The one rewriter of
 * references: the build reads the models rebuilt beside production (`marts.x__new`,
 * transform/beside-models.ts), an environment its own (`marts__dev.x`,
 * transform/environment-sql.ts). Only code is rewritten (transform/sql-tokens.ts): string
 * literals (E'' ones too), quoted identifiers and dollar-quoted text are kept as written, a
 * comment becomes one space. A layer named in a spelling the dependency graph does not see
 * (`"marts".x`, `marts . x`, `MARTS.x`, `marts/**\/.x`, `U&"..."`) is refused, naming the
 * model (`what`): it would read production's relation where the build or environment has its own.
 */
export function rewriteModelReferences(model: string, sql: string, rewrite: (reference: ModelReference) => string, what = `model ${model}`): string {
  const tokens = sqlTokens(sql);
  // a comment between a layer and its dot hides the reference: the code read as one, comments as a space
  const codeOnly = tokens.map((token) => (token.kind === 'code' ? token.text : token.kind === 'comment' ? ' ' : '\u0000')).join('');
  if ([...codeOnly.matchAll(LAYER_DOT)].some(([found]) => !PLAIN_LAYER_DOT.test(found))) throw hidden(what);
  return tokens
    .map((token, at) => {
      if (token.kind === 'comment') return ' ';
      if (token.kind === 'quoted') {
        const before = tokens[at - 1];
        if (QUOTED_LAYER.test(token.text) || (before?.kind === 'code' && /u&$/i.test(before.text.slice(-2)))) {
          throw hidden(what, ` (${token.text.slice(0, 40)})`);
        }
      }
      if (token.kind !== 'code') return token.text;
      return token.text.replace(REFERENCE, (found: string, schema: string, relation: string, offset: number) => {
        const rest = token.text.slice(offset + found.length);
        return rewrite({
          name: found,
          schema,
          relation,
          qualifiesColumn: rest.startsWith('.'),
          next: rest.startsWith('.') ? '.' : nextWord(tokens, at, rest),
        });
      });
    })
    .join('');
}
