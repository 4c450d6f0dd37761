import { EltError, ExitCode } from '../core/errors';
import { environmentRelation } from './environment-name';
import { MODEL_SCHEMAS } from './model-layers';

/** `layer.relation` as readModels finds a model's dependencies (transform/model-catalog.ts). */
const REFERENCE = new RegExp(`\\b(${MODEL_SCHEMAS.join('|')})\\.([a-z_][a-z0-9_]*)\\b`, 'g');
/** A layer's name and a dot, in any case and spacing: each must be spelled as REFERENCE takes it. */
const LAYER_DOT = new RegExp(`\\b(?:${MODEL_SCHEMAS.join('|')})\\s*\\.\\s*.?`, 'gi');
const PLAIN_LAYER_DOT = new RegExp(`^(?:${MODEL_SCHEMAS.join('|')})\\.[a-z_]$`);
/** A quoted identifier naming a layer (`"marts".x`): one too. */
const QUOTED_LAYER = new RegExp(`^"(${MODEL_SCHEMAS.join('|')})"$`, 'i');

/**
 * A model's SQL as an environment runs it: each reference to one of `inEnvironment`
 * (`marts.x`, the spelling readModels takes for a dependency) becomes the environment's
 * relation (`marts__dev.x`); every other reference stays, so unchanged upstream models are
 * read from production. Only code is rewritten: string literals (also E'' ones with
 * backslash escapes), quoted identifiers, dollar-quoted bodies are kept as written, and
 * comments become a space. A model that names a layer in a spelling the dependency graph
 * does not see (`"marts".x`, `marts . x`, `marts/**\/.x`) is refused, naming the model:
 * it would read production where the environment has its own relation.
 */
export function environmentSql(model: string, sql: string, inEnvironment: ReadonlySet<string>, environment: string): string {
  let out = '';
  let code = '';
  const flush = () => {
    if ([...code.matchAll(LAYER_DOT)].some(([found]) => !PLAIN_LAYER_DOT.test(found))) {
      throw new EltError(
        `model ${model}: write each model it reads as schema.relation, unquoted and without spaces (elt build --env rewrites those only)`,
        ExitCode.modelFailed,
      );
    }
    out += code.replace(REFERENCE, (reference: string) => (inEnvironment.has(reference) ? environmentRelation(reference, environment) : reference));
    code = '';
  };
  let index = 0;
  while (index < sql.length) {
    const char = sql[index] as string;
    const next = sql[index + 1];
    if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', index);
      index = end === -1 ? sql.length : end;
      code += ' ';
    } else if (char === '/' && next === '*') {
      // block comments nest in Postgres
      let depth = 1;
      index += 2;
      while (index < sql.length && depth > 0) {
        if (sql.startsWith('/*', index)) {
          depth += 1;
          index += 2;
        } else if (sql.startsWith('*/', index)) {
          depth -= 1;
          index += 2;
        } else index += 1;
      }
      code += ' ';
    } else if (char === "'" || char === '"') {
      // E'...': a backslash escapes the next character
      const escapes = char === "'" && /(?:^|[^A-Za-z0-9_$])[eE]$/.test(code);
      let end = index + 1;
      while (end < sql.length) {
        if (escapes && sql[end] === '\\') end += 2;
        else if (sql[end] === char && sql[end + 1] === char) end += 2;
        else if (sql[end] === char) break;
        else end += 1;
      }
      const literal = sql.slice(index, end + 1);
      if (char === '"' && (QUOTED_LAYER.test(literal) || /u&$/i.test(code))) {
        throw new EltError(
          `model ${model}: write each model it reads as schema.relation, unquoted (${literal.slice(0, 40)}: elt build --env rewrites the unquoted names only)`,
          ExitCode.modelFailed,
        );
      }
      flush();
      out += literal;
      index = end + 1;
    } else if (char === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(index)) && !/[A-Za-z0-9_]$/.test(code)) {
      const tag = (/^\$[A-Za-z_]*\$/.exec(sql.slice(index)) as RegExpExecArray)[0];
      const end = sql.indexOf(tag, index + tag.length);
      const stop = end === -1 ? sql.length : end + tag.length;
      flush();
      out += sql.slice(index, stop);
      index = stop;
    } else {
      code += char;
      index += 1;
    }
  }
  flush();
  return out;
}
