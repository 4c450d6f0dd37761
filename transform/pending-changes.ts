import type { Pool, PoolClient } from 'pg';

/**
 * Whether the models have anything new to show (elt.has_pending_changes(),
 * db/procedures/has_pending_changes.sql, which says what counts and how it reads only what
 * came since the last fold). Asked before the build and refresh of a run: false, and
 * nothing built, is a run with nothing new (the summary says so instead of "3 of 3 marts
 * refreshed"). A login that may not ask (an analyst's `elt refresh`) cannot tell: true,
 * nothing is claimed.
 */
export async function hasPendingChanges(pool: Pool | PoolClient): Promise<boolean> {
  try {
    const { rows } = await pool.query<{ pending: boolean }>('select elt.has_pending_changes() as pending');
    return rows[0]?.pending !== false;
  } catch (err) {
    // insufficient_privilege: a login without the right to ask
    if ((err as { code?: unknown }).code === '42501') return true;
    throw err;
  }
}
