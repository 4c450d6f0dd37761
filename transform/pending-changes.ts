import type { Pool, PoolClient } from 'pg';

/**
 * Whether the models have anything new to show: a load not yet folded by a by-load
 * incremental model, a folded load no longer loaded (replaced), a model computed with
 * other settings than the stored ones (the engine's own tests, db/procedures/apply_increments.sql),
 * or a load that finished after the last refresh (what a materialized view would show).
 * Asked before the build and refresh of a run: false, and nothing built, is a run with
 * nothing new (the summary says so instead of "3 of 3 marts refreshed"). A login that may
 * not read the ledger (an analyst's `elt refresh`) cannot tell: true, nothing is claimed.
 */
export async function hasPendingChanges(pool: Pool | PoolClient): Promise<boolean> {
  const { rows } = await (pool as Pool)
    .query<{ pending: boolean }>(
      `with incremental as (
       select m.name, m.incremental_by, m.settings_fingerprint
         from elt.models as m
        where m.materialized = 'incremental'
     ),
     other_settings as (
       select from incremental as m where m.settings_fingerprint is distinct from elt.settings_fingerprint()
     ),
     unfolded as (
       select from incremental as m
         join raw.loads as l on l.status = 'loaded'
        where m.incremental_by = 'load_id'
          and not exists (select from elt.folded_loads as f where f.model = m.name and f.load_id = l.load_id)
     ),
     gone as (
       select from elt.folded_loads as f
         join incremental as m on m.name = f.model and m.incremental_by = 'load_id'
        where not exists (select from raw.loads as l where l.load_id = f.load_id and l.status = 'loaded')
     ),
     loaded_since as (
       select from raw.loads as l
        where l.status = 'loaded'
          and l.finished_at > coalesce((select max(r.refreshed_at) from elt.refresh_log as r), '-infinity')
     )
     select exists (select from other_settings) or exists (select from unfolded) or exists (select from gone)
         or exists (select from loaded_since) as pending`,
    )
    .catch((err: unknown) => {
      // insufficient_privilege: a login without the ledger's rights
      if ((err as { code?: unknown }).code === '42501') return { rows: [{ pending: true }] };
      throw err;
    });
  return rows[0]?.pending !== false;
}
