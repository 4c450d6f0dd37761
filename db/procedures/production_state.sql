-- elt.production_state(): what production's models hold, as one comparable record
-- (transform/production-state.ts): a digest of the loads loaded (a new load, or one
-- replaced, changes it), the time of the last refresh or build of a model (any fold,
-- promotion or build writes elt.refresh_log), a digest of every model's checksum, and
-- the settings the models are computed with. elt.create_environment() records it as the
-- environment's built_from; elt promote refuses once production's is no longer that one.
-- Digests only, so the record stays small whatever the number of loads. Only the owner
-- calls it (directly, or inside elt.create_environment()).
create or replace function elt.production_state() returns jsonb
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select jsonb_build_object(
        'loads', (select md5(coalesce(string_agg(l.load_id::text, ',' order by l.load_id), ''))
                    from raw.loads as l where l.status = 'loaded'),
        'lastRefreshAt', (select max(r.refreshed_at)::text from elt.refresh_log as r),
        'models', (select md5(coalesce(string_agg(m.name || '=' || m.checksum, ',' order by m.name), ''))
                     from elt.models as m),
        'settings', elt.settings_fingerprint()
    )
$$;

revoke execute on function elt.production_state() from public;
