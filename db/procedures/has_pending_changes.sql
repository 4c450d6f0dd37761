-- elt.has_pending_changes(): whether production's models have anything new to show: a
-- load not yet folded by a by-load incremental model, a folded load no longer loaded
-- (replaced), a model computed with other settings than the stored ones, or a load that
-- finished after the last refresh (what a materialized view would show). Asked before a
-- run's build and refresh (transform/pending-changes.ts), and by
-- elt.create_environment() as the owner (an environment starts from production as it
-- is). Only the owner may call it; for a login that may not, the run cannot tell.
--
-- It reads what came since, not the history (issue 26): each by-load model keeps the
-- snapshot its last fold took before reading the ledger, and when its transaction began
-- (elt.models.loads_snapshot, loads_as_of; migration 0027). A load that fold did not see
-- committed after that snapshot: in a transaction that was in progress at it (its xip
-- list), or in one that wrote after it, which stamped finished_at after loads_as_of. So
-- while none of the snapshot's in-progress transactions has committed, only the loads
-- finished since loads_as_of (by index) can be unfolded. A folded load that is no longer
-- loaded is a replaced one, looked up among the replaced loads by index.
-- Otherwise (one of them committed, or a fold from before the migration) every load is
-- compared.
create or replace function elt.has_pending_changes() returns boolean
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
    other_settings boolean;
    by_load text[];
    compare_all boolean;
    since timestamptz;
    last_refresh timestamptz;
begin
    -- a few rows: the models, their snapshots' transactions, each model's newest refresh (by the log's key)
    with incremental as (
        select m.name, m.incremental_by, m.settings_fingerprint, m.loads_snapshot, m.loads_as_of
          from elt.models as m
         where m.materialized = 'incremental'
    ),
    folds_by_load as (
        select m.name, m.loads_as_of,
               m.loads_snapshot is null
               or exists (
                   select from pg_snapshot_xip(m.loads_snapshot) as x (xid)
                    where pg_xact_status(x.xid) is distinct from 'in progress' and pg_xact_status(x.xid) is distinct from 'aborted'
               ) as compare_all
          from incremental as m
         where m.incremental_by = 'load_id'
    )
    select exists (select from incremental as m where m.settings_fingerprint is distinct from elt.settings_fingerprint()),
           array(select m.name from folds_by_load as m),
           coalesce((select bool_or(m.compare_all) from folds_by_load as m), false),
           (select min(m.loads_as_of) from folds_by_load as m),
           (select max(r.at)
              from elt.models as m
             cross join lateral (select max(r.refreshed_at) as at from elt.refresh_log as r where r.model = m.name) as r)
    into other_settings, by_load, compare_all, since, last_refresh;
    if other_settings then
        return true;
    end if;
    -- a load finished after the last refresh (by the finished_at index)
    if exists (
        select from raw.loads as l
         where l.status = 'loaded' and l.finished_at > coalesce(last_refresh, '-infinity')
    ) then
        return true;
    end if;
    -- a folded load no longer loaded: only a replaced one can be (migration 0028 indexes them),
    -- also when nothing new was loaded with the replacement (the object became a duplicate)
    if exists (
        select from raw.loads as l
        cross join unnest(by_load) as m (name)
         where l.status = 'replaced'
           and exists (select from elt.folded_loads as f where f.model = m.name and f.load_id = l.load_id)
    ) then
        return true;
    end if;
    if compare_all then
        return exists (
            select from unnest(by_load) as m (name)
              join raw.loads as l on l.status = 'loaded'
             where not exists (select from elt.folded_loads as f where f.model = m.name and f.load_id = l.load_id)
        );
    end if;
    return exists (
        with candidates as materialized (
            select l.load_id from raw.loads as l
             where l.status = 'loaded' and (l.finished_at >= since or l.finished_at is null)
        )
        select from candidates as c
        cross join unnest(by_load) as m (name)
         -- a lookup per candidate and model (a scalar subquery is not made a join that reads every folded load)
         where (select true from elt.folded_loads as f where f.model = m.name and f.load_id = c.load_id) is null
    );
end;
$$;

revoke execute on function elt.has_pending_changes() from public;
