-- Refreshing the marts, in SQL, so the CLI and an analyst's `call` do the same thing.
-- elt.refresh_log: one row per refresh (or build) of a mart, for `elt status`.
-- elt.refresh_marts(): refreshes the materialized models in build order, CONCURRENTLY
-- once populated (readers are never blocked), plainly while still empty. Two refreshes
-- at once serialize on an advisory lock instead of failing. SECURITY DEFINER with a
-- pinned search_path: analysts may refresh without owning the marts.
create table elt.refresh_log (
    model text not null,
    refreshed_at timestamptz not null default clock_timestamp(),
    duration_ms numeric(12, 1) not null,
    how text not null check (how in ('built', 'concurrently', 'plain')),
    primary key (model, refreshed_at)
);

create table if not exists elt.models (
    name text primary key,
    checksum text not null,
    materialized text not null,
    build_order integer not null,
    built_at timestamptz not null default now()
);

create procedure elt.refresh_marts(only_models text[] default null)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    mart record;
    started timestamptz;
    populated boolean;
begin
    perform pg_advisory_xact_lock(hashtextextended('clickstream-elt:refresh', 0));
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
