/** The clickstream project's models (models/), in build order: what a full build builds, written out by hand. */
export const CLICKSTREAM_MODELS = [
  'staging.stg_events',
  'intermediate.int_events',
  'intermediate.int_article_days_by_load',
  'intermediate.int_category_days_by_load',
  'intermediate.int_sessions',
  'intermediate.int_user_days_by_load',
  'marts.article_performance',
  'marts.category_ctr_daily',
  'marts.user_performance',
] as const;
