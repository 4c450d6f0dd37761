-- Incremental models: tables in the intermediate schema that follow new data
-- instead of recomputing all history. Two kinds (see README "Incremental models"):
--   by load:  rows carry load_id; a refresh inserts the rows of loads not yet
--             folded in and deletes those of loads no longer loaded (replaced);
--   by key:   rows are recomputed for the key values (e.g. session_id) that the
--             rows changed in an upstream by-load model carry.
-- Each incremental model's query lives in the database as the view <model>__source
-- (so pg_depend knows what it reads); its table is filled from that view.
-- elt.apply_increments() does both kinds, in build order; elt.refresh_marts() calls it first.
create schema if not exists intermediate;

alter table elt.refresh_log drop constraint refresh_log_how_check;
alter table elt.refresh_log add constraint refresh_log_how_check
    check (how in ('built', 'concurrently', 'plain', 'incremental', 'recomputed'));

alter table elt.models
    add column incremental_by text,
    add column incremental_from text,
    add column settings_fingerprint text;

-- which loads each by-load model holds
create table elt.folded_loads (
    model text not null,
    load_id bigint not null,
    primary key (model, load_id)
);

-- the settings models depend on, as one comparable text
create function elt.settings_fingerprint() returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select s.reporting_time_zone || '|' || s.session_gap::text from elt.settings as s
$$;

create procedure elt.apply_increments(skip_models text[] default null)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    model record;
    dependent record;
    fingerprint text := elt.settings_fingerprint();
    new_loads bigint[];
    gone_loads bigint[];
    changed text[];
    rebuild boolean;
    started timestamptz;
begin
    for model in
        select m.name, m.name || '__source' as source, m.incremental_by, m.incremental_from, m.settings_fingerprint
        from elt.models as m
        where m.materialized = 'incremental'
            and (skip_models is null or not m.name = any(skip_models))
        order by m.build_order
    loop
        started := clock_timestamp();
        -- the settings changed since this model was computed: recompute it all
        rebuild := model.settings_fingerprint is distinct from fingerprint;
        if model.incremental_by = 'load_id' then
            if rebuild then
                execute format('truncate %s', model.name);
                delete from elt.folded_loads as f where f.model = model.name;
            end if;
            new_loads := array(
                select l.load_id from raw.loads as l
                where l.status = 'loaded'
                    and not exists (select from elt.folded_loads as f where f.model = model.name and f.load_id = l.load_id)
            );
            gone_loads := array(
                select f.load_id from elt.folded_loads as f
                where f.model = model.name
                    and not exists (select from raw.loads as l where l.load_id = f.load_id and l.status = 'loaded')
            );
            -- remember which keys the change touches, for the by-key models built from this one
            for dependent in
                select d.name, d.incremental_by from elt.models as d
                where d.materialized = 'incremental' and d.incremental_from = model.name
            loop
                execute format('drop table if exists %I', 'changed_keys_' || md5(dependent.name));
                execute format(
                    'create temp table %I on commit drop as select distinct %I as key from %s where load_id = any($1)',
                    'changed_keys_' || md5(dependent.name), dependent.incremental_by, model.name
                ) using gone_loads;
            end loop;
            execute format('delete from %s where load_id = any($1)', model.name) using gone_loads;
            execute format('insert into %s select * from %s as m where m.load_id = any($1)', model.name, model.source)
                using new_loads;
            for dependent in
                select d.name, d.incremental_by from elt.models as d
                where d.materialized = 'incremental' and d.incremental_from = model.name
            loop
                execute format(
                    'insert into %I select distinct %I from %s where load_id = any($1)',
                    'changed_keys_' || md5(dependent.name), dependent.incremental_by, model.name
                ) using new_loads;
            end loop;
            delete from elt.folded_loads as f where f.model = model.name and f.load_id = any(gone_loads);
            insert into elt.folded_loads (model, load_id) select model.name, unnest(new_loads);
        else
            if rebuild then
                execute format('truncate %s', model.name);
                execute format('insert into %s select * from %s', model.name, model.source);
            elsif to_regclass('pg_temp.' || quote_ident('changed_keys_' || md5(model.name))) is not null then
                execute format('select array(select key::text from %I)', 'changed_keys_' || md5(model.name)) into changed;
                execute format('delete from %s where %I::text = any($1)', model.name, model.incremental_by) using changed;
                execute format(
                    'insert into %s select * from %s as m where m.%I::text = any($1)',
                    model.name, model.source, model.incremental_by
                ) using changed;
            end if;
        end if;
        update elt.models as m set settings_fingerprint = fingerprint where m.name = model.name;
        insert into elt.refresh_log (model, duration_ms, how)
        values (model.name, extract(epoch from clock_timestamp() - started) * 1000, case when rebuild then 'recomputed' else 'incremental' end);
    end loop;
end;
$$;

create or replace procedure elt.refresh_marts(only_models text[] default null)
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

revoke execute on procedure elt.apply_increments(text[]) from public;
