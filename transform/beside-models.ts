import { sqlCode } from './model-header';
import { MODEL_SCHEMAS, type Model } from './model-catalog';
import { SWAP_SUFFIX } from './model-kinds';
import { sourceViewOf } from './source-views';

/** A schema-qualified reference to a model, as readModels finds them (transform/model-catalog.ts): `marts.article_performance`. */
const REFERENCE = new RegExp(`\\b(${MODEL_SCHEMAS.join('|')})\\.([a-z_][a-z0-9_]*)\\b`, 'g');

/**
 * The words (and the punctuation) that may follow a relation in a FROM list when it has
 * no alias: anything else after it is its alias (`as a`, or a bare `a`).
 */
const AFTER_UNALIASED = new Set([
  '',
  ',',
  ')',
  ';',
  'where',
  'group',
  'order',
  'having',
  'window',
  'limit',
  'offset',
  'fetch',
  'for',
  'union',
  'intersect',
  'except',
  'join',
  'inner',
  'left',
  'right',
  'full',
  'cross',
  'natural',
  'on',
  'using',
  'tablesample',
  'returning',
]);

/** The name a model's relation is built under, beside production: `marts.article_performance__new`. */
export const besideName = (name: string): string => `${name}${SWAP_SUFFIX}`;

/**
 * `sql` (a model's query) reading, for each model in `rebuilt`, the relation built beside
 * it (`<name>__new`) instead of production's. A reference with no alias keeps the name its
 * columns are qualified by (`from marts.a` becomes `from marts.a__new as a`); column
 * references (`marts.a.col`) follow. String literals are left as written; comments go.
 */
export function readingBeside(sql: string, rebuilt: ReadonlySet<string>): string {
  // single-quoted literals are the odd parts: as readModels, a reference is looked for outside them
  return sqlCode(sql)
    .split(/('(?:[^']|'')*')/)
    .map((part, index) =>
      index % 2 === 1
        ? part
        : part.replace(REFERENCE, (reference: string, schema: string, relation: string, offset: number) => {
            if (!rebuilt.has(reference)) return reference;
            const rest = part.slice(offset + reference.length);
            if (rest.startsWith('.')) return `${schema}.${relation}${SWAP_SUFFIX}`;
            const next = (/^\s*([a-z_][a-z0-9_$]*|[^\s])?/i.exec(rest)?.[1] ?? '').toLowerCase();
            return AFTER_UNALIASED.has(next) ? `${schema}.${relation}${SWAP_SUFFIX} as ${relation}` : `${schema}.${relation}${SWAP_SUFFIX}`;
          }),
    )
    .join('');
}

/**
 * A model as the build makes it beside production, before the swap
 * (transform/swap-relations.ts): its relation `<name>__new`, its source view (an
 * incremental model's) under the name sourceViewOf gives `<name>__new`, and its query and
 * engine inputs reading the models rebuilt with it (`rebuilt`) beside production too, the
 * others in production. Its checksum is the model's.
 */
export function besideModel(model: Model, rebuilt: ReadonlySet<string>): Model {
  const beside = (name: string) => (rebuilt.has(name) ? besideName(name) : name);
  return {
    ...model,
    name: besideName(model.name),
    relation: `${model.relation}${SWAP_SUFFIX}`,
    sql: readingBeside(model.sql, rebuilt),
    inputs: model.inputs.map((input) => ({ ...input, upstream: beside(input.upstream) })),
    dependsOn: model.dependsOn.map(beside),
    ...(model.sourceView === undefined ? {} : { sourceView: sourceViewOf(besideName(model.name)) }),
  };
}
