// How a model was brought up to date: the `how` column of elt.refresh_log. Named here
// once. The SQL spells them too: the column's check constraint (migrations 0007, 0009)
// and the procedures that log (db/procedures/apply_increments.sql, refresh_marts.sql);
// tests/db/refresh-how.test.ts holds them to this list.

export const REFRESH_HOWS = [
  /** `elt build` (re)created the model from scratch, or the first refresh filled a new incremental model */
  'built',
  /** an incremental model recomputed whole: a setting it depends on changed (its fingerprint) */
  'recomputed',
  /** an incremental model brought up to date with the loads new since it last was */
  'incremental',
  /** a populated materialized-view mart refreshed concurrently (readers not blocked) */
  'concurrently',
  /** a materialized-view mart never populated yet, refreshed plainly */
  'plain',
] as const;

/** One value of elt.refresh_log.how. */
export type RefreshHow = (typeof REFRESH_HOWS)[number];
