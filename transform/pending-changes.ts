import type { Pool, PoolClient } from 'pg';

/**
 * Whether the models have anything new to show: a load not yet folded by a by-load
 * incremental model, a folded load no longer loaded (replaced), a model computed with
 * other settings than the stored ones (the engine's own tests, db/procedures/apply_increments.sql),
 * or a load that finished after the last refresh (what a materialized view would show).
 * Asked before the build and refresh of a run: false, and nothing built, is a run with
 * nothing new (the summary says so instead of "3 of 3 marts refreshed"). A login that may
 * not read the ledger (an analyst's `elt refresh`) cannot tell: true, nothing is claimed.
 *
 * It reads what came since, not the history (issue 26): each by-load model keeps the
 * snapshot its last fold took before reading the ledger, and when its transaction began
 * (elt.models.loads_snapshot, loads_as_of; migration 0027). A load that fold did not see
 * committed after that snapshot: in a transaction that was in progress at it (its xip
 * list), or in one that wrote after it, which stamped finished_at after loads_as_of. So
 * while none of the snapshot's in-progress transactions has committed, only the loads
 * finished since loads_as_of (by index) can be unfolded; a load replaced by new content is
 * replaced in the transaction that loads the new one (loader/ledger.ts), one of those.
 * Otherwise (one of them committed, or a fold from before the migration) every load is
 * compared, as before.
 */
export async function hasPendingChanges(pool: Pool | PoolClient): Promise<boolean> {
  try {
    return await pendingChanges(pool as Pool);
  } catch (err) {
    // insufficient_privilege: a login without the ledger's rights
    if ((err as { code?: unknown }).code === '42501') return true;
    throw err;
  }
}

interface FoldState {
  other_settings: boolean;
  by_load: string[];
  compare_all: boolean;
  since: Date | null;
  last_refresh: Date | null;
}

async function pendingChanges(pool: Pool): Promise<boolean> {
  // a few rows: the models, their snapshots' transactions, each model's newest refresh (by the log's key)
  const { rows } = await pool.query<FoldState>(
    `with incremental as (
       select m.name, m.incremental_by, m.settings_fingerprint, m.loads_snapshot, m.loads_as_of
         from elt.models as m
        where m.materialized = 'incremental'
     ),
     by_load as (
       select m.name, m.loads_as_of,
              m.loads_snapshot is null
              or exists (
                select from pg_snapshot_xip(m.loads_snapshot) as x (xid)
                 where pg_xact_status(x.xid) is distinct from 'in progress' and pg_xact_status(x.xid) is distinct from 'aborted'
              ) as compare_all
         from incremental as m
        where m.incremental_by = 'load_id'
     )
     select exists (select from incremental as m where m.settings_fingerprint is distinct from elt.settings_fingerprint()) as other_settings,
            array(select m.name from by_load as m) as by_load,
            coalesce((select bool_or(m.compare_all) from by_load as m), false) as compare_all,
            (select min(m.loads_as_of) from by_load as m) as since,
            (select max(r.at)
               from elt.models as m
              cross join lateral (select max(r.refreshed_at) as at from elt.refresh_log as r where r.model = m.name) as r) as last_refresh`,
  );
  const state = rows[0] as FoldState;
  if (state.other_settings) return true;
  // the time as a value, so the plan reads the loads since it by index (loads_by_finished_at)
  const loadedSince = "select from raw.loads as l where l.status = 'loaded' and l.finished_at > coalesce($1::timestamptz, '-infinity')";
  if (state.compare_all) {
    const { rows: all } = await pool.query<{ pending: boolean }>(
      `select exists (
                select from unnest($2::text[]) as m (name)
                  join raw.loads as l on l.status = 'loaded'
                 where not exists (select from elt.folded_loads as f where f.model = m.name and f.load_id = l.load_id)
              )
           or exists (
                select from elt.folded_loads as f
                 where f.model = any($2::text[])
                   and not exists (select from raw.loads as l where l.load_id = f.load_id and l.status = 'loaded')
              )
           or exists (${loadedSince}) as pending`,
      [state.last_refresh, state.by_load],
    );
    return all[0]?.pending !== false;
  }
  const { rows: since } = await pool.query<{ pending: boolean }>(
    `with candidates as materialized (
       select l.load_id from raw.loads as l
        where l.status = 'loaded' and (l.finished_at >= $2::timestamptz or l.finished_at is null)
     )
     select exists (
              select from candidates as c
              cross join unnest($3::text[]) as m (name)
               -- a lookup per candidate and model (a scalar subquery is not made a join that reads every folded load)
               where (select true from elt.folded_loads as f where f.model = m.name and f.load_id = c.load_id) is null
            )
         or exists (${loadedSince}) as pending`,
    [state.last_refresh, state.since, state.by_load],
  );
  return since[0]?.pending !== false;
}
