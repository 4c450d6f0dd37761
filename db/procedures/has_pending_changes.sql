-- elt.has_pending_changes(): whether production's models have anything new to show: a
-- load not yet folded by a by-load incremental model, a folded load no longer loaded
-- (replaced), a model computed with other settings than the stored ones, or a load that
-- finished after the last refresh. The question transform/pending-changes.ts asks before
-- a run, asked here by elt.create_environment() as the owner (an environment starts
-- from production as it is), so an analyst's build is refused as the owner's is. Only
-- the owner calls it.
create or replace function elt.has_pending_changes() returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    with incremental as (
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
        or exists (select from loaded_since)
$$;

revoke execute on function elt.has_pending_changes() from public;
