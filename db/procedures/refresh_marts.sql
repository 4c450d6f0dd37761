-- elt.refresh_marts(only_models): what `elt refresh` runs, and what an analyst may `call`:
-- brings the incremental models up to date (elt.apply_increments()), the marts among
-- them by key, then refreshes a project's materialized-view models (only_models, or all)
-- in build order, CONCURRENTLY once populated (readers are never blocked), plainly while
-- still empty. SECURITY DEFINER with a pinned search_path:
-- analysts refresh without owning the marts (elt.apply_grants() grants them EXECUTE).
-- The refresh lock is the row clickstream-elt:refresh of elt.locks, waited for at most
-- the caller's lock_timeout (120 s when none is set), with a message naming it.
create or replace procedure elt.refresh_marts(only_models text[] default null)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    mart record;
    started timestamptz;
    populated boolean;
    caller_lock_timeout text := current_setting('lock_timeout');
begin
    if caller_lock_timeout = '0' then
        perform set_config('lock_timeout', '120s', true);
    end if;
    begin
        perform from elt.locks as l where l.name = 'clickstream-elt:refresh' for update;
    exception when lock_not_available then
        raise exception 'waited % for the refresh lock (clickstream-elt:refresh): another refresh or build holds it',
            current_setting('lock_timeout') using errcode = 'lock_not_available';
    end;
    perform set_config('lock_timeout', caller_lock_timeout, true);
    call elt.apply_increments();
    for mart in
        select m.name, to_regclass(m.name) as relation
        from elt.models as m
        where m.materialized = 'materialized_view'
            and (only_models is null or m.name = any(only_models))
        order by m.build_order
    loop
        if mart.relation is null then
            raise exception 'mart % does not exist: run elt build first', mart.name;
        end if;
        started := clock_timestamp();
        select c.relispopulated into populated from pg_class as c where c.oid = mart.relation;
        if populated then
            execute format('refresh materialized view concurrently %s', mart.relation);
        else
            execute format('refresh materialized view %s', mart.relation);
        end if;
        insert into elt.refresh_log (model, duration_ms, how)
        values (
            mart.name,
            extract(epoch from clock_timestamp() - started) * 1000,
            case when populated then 'concurrently' else 'plain' end
        );
    end loop;
end;
$$;

revoke execute on procedure elt.refresh_marts(text[]) from public;
