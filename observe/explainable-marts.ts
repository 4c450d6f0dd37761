/**
 * The marts `elt explain` can take apart, each with the by-load table its counts are
 * added up from (models/intermediate/int_*_days_by_load.sql). The relation and column
 * names here are the only ones the explain queries spell: a name the user types is
 * only ever compared with them, never put into SQL.
 */
export interface ExplainableMart {
  /** schema-qualified, as in elt.models */
  name: string;
  /** the by-load table: one row per load and key, the load's part of the mart's row */
  byLoad: string;
  /** each key column of the mart (its header's unique_key, in order) and the by-load table's column holding it */
  keys: ReadonlyArray<{ mart: string; byLoad: string }>;
  /** the by-load table's counts, which add up over loads to the mart's column of the same name (when it has one) */
  counts: readonly string[];
  /** the row counts sessions (intermediate.int_sessions): a session's events may come from several loads */
  sessions: boolean;
}

export const EXPLAINABLE_MARTS: readonly ExplainableMart[] = [
  {
    name: 'marts.article_performance',
    byLoad: 'intermediate.int_article_days_by_load',
    keys: [
      { mart: 'article_id', byLoad: 'article_id' },
      { mart: 'date', byLoad: 'event_date' },
    ],
    counts: ['card_views', 'article_views'],
    sessions: false,
  },
  {
    name: 'marts.user_performance',
    byLoad: 'intermediate.int_user_days_by_load',
    keys: [
      { mart: 'user_id', byLoad: 'user_id' },
      { mart: 'date', byLoad: 'event_date' },
    ],
    counts: ['events', 'card_views', 'article_views'],
    sessions: true,
  },
  {
    name: 'marts.category_ctr_daily',
    byLoad: 'intermediate.int_category_days_by_load',
    keys: [
      { mart: 'category', byLoad: 'category' },
      { mart: 'date', byLoad: 'event_date' },
    ],
    counts: ['card_views', 'article_views'],
    sessions: false,
  },
];

/** The mart `name` names (`marts.x` or `x`), if explain knows it. */
export function explainableMart(name: string): ExplainableMart | undefined {
  const qualified = name.includes('.') ? name : `marts.${name}`;
  return EXPLAINABLE_MARTS.find((mart) => mart.name === qualified);
}
