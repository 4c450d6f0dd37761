import { createHash } from 'node:crypto';

/**
 * Where an incremental model's query lives: a view (pg_depend then knows what the table
 * reads; the engine fills the table from it) in the engine's own schema, out of the
 * schemas analysts browse (staging, intermediate and marts hold the models only). The
 * schema is made by migration 0020, owned by the owner, granted to no project role; the
 * engine's procedures run as the owner and read it. The one place the convention is
 * spelled: the build records the name in elt.models.source_view, which the engine
 * (db/procedures/apply_increments.sql) reads, and lineage and the orphans read it back.
 */
export const ENGINE_SCHEMA = 'elt_engine';
export const SOURCE_VIEW_SUFFIX = '__source';

/** Postgres cuts longer names (silently): the name recorded would not be the view's. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * `elt_engine.<schema>__<model>__source`. Where that is longer than 63 bytes (an
 * `intermediate` or `staging` model of 42 to 47 characters), the model's name is cut and
 * the first 8 hex digits of its md5 follow: `<schema>__<start>_<md5>__source`, 63 bytes,
 * still one name per model (readModels refuses two models that would share one).
 */
export function sourceViewOf(model: string): string {
  const full = `${model.replace('.', '__')}${SOURCE_VIEW_SUFFIX}`;
  if (Buffer.byteLength(full) <= MAX_IDENTIFIER_BYTES) return `${ENGINE_SCHEMA}.${full}`;
  const [schema, relation] = model.split('.') as [string, string];
  const hash = `_${createHash('md5').update(model).digest('hex').slice(0, 8)}`;
  const room = MAX_IDENTIFIER_BYTES - `${schema}__${hash}${SOURCE_VIEW_SUFFIX}`.length;
  return `${ENGINE_SCHEMA}.${schema}__${relation.slice(0, room)}${hash}${SOURCE_VIEW_SUFFIX}`;
}

/** Where the code before issue 25 put a model's source view: `<schema>.<model>__source`, beside the model. */
export const legacySourceViewOf = (model: string): string => `${model}${SOURCE_VIEW_SUFFIX}`;

/**
 * The source view to follow for a model whose elt.models row names `stored`: that view
 * when it is a name the build gives the model (in this layout or the old one), else the
 * name it gives now: a row naming another relation (raw.raw_events) is never dropped.
 */
export function storedSourceView(model: string, stored: string | null): string {
  return stored === legacySourceViewOf(model) ? stored : sourceViewOf(model);
}

/** The comment on a source view: what it is, and what to read instead. */
export const sourceViewComment = (model: string): string =>
  `clickstream-elt engine: the query of the incremental model ${model}, which elt build and elt refresh fill its table from. Read ${model}, not this view.`;
