import type { Model } from './model-catalog';
import { SWAP_SUFFIX } from './model-kinds';
import { rewriteModelReferences } from './relation-references';
import { sourceViewOf } from './source-views';

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
 * `sql` (model `model`'s query) reading, for each model in `rebuilt`, the relation built
 * beside it (`<name>__new`) instead of production's. A reference with no alias keeps the
 * name its columns are qualified by (`from marts.a` becomes `from marts.a__new as a`), and a
 * column qualified by schema and relation (`marts.a.x`) becomes one qualified by that name
 * (`a.x`). The rewriting, and the refusal of spellings the dependency graph does not see,
 * are transform/relation-references.ts's.
 */
export function readingBeside(sql: string, rebuilt: ReadonlySet<string>, model = 'being built'): string {
  return rewriteModelReferences(model, sql, ({ name, schema, relation, qualifiesColumn, next }) => {
    if (!rebuilt.has(name)) return name;
    if (qualifiesColumn) return relation;
    return AFTER_UNALIASED.has(next) ? `${schema}.${relation}${SWAP_SUFFIX} as ${relation}` : `${schema}.${relation}${SWAP_SUFFIX}`;
  });
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
    sql: readingBeside(model.sql, rebuilt, model.name),
    inputs: model.inputs.map((input) => ({ ...input, upstream: beside(input.upstream) })),
    dependsOn: model.dependsOn.map(beside),
    ...(model.sourceView === undefined ? {} : { sourceView: sourceViewOf(besideName(model.name)) }),
  };
}
