-- The incremental engine (see README "Incremental models"): incremental models are
-- tables that follow new data instead of recomputing all history. Two kinds:
--   by load:  rows carry load_id; new loads' rows are inserted, the rows of loads no
--             longer loaded (replaced) deleted; elt.folded_loads says which loads it holds;
--   by key:   rows are recomputed for the key values (e.g. session_id) that the changed
--             rows of an upstream by-load model (incremental_from) carry.
-- A model's query is the view elt.models.source_view (named by the build), which its
-- table is filled from. elt.models.settings_fingerprint holds the settings the table
-- was computed with: NULL (never filled: the build's first fill) or other settings
-- make the next apply compute it in full. `elt build` fills a new table with
-- elt.apply_increment(model) and elt.refresh_marts() calls elt.apply_increments():
-- one path for the first fill and every later one.

-- one model, brought up to date (or computed in full, see above)
create or replace procedure elt.apply_increment(model_name text)
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
    started timestamptz := clock_timestamp();
begin
    select m.name, m.source_view as source, m.incremental_by, m.incremental_from, m.settings_fingerprint
    into model
    from elt.models as m
    where m.name = model_name and m.materialized = 'incremental';
    if not found then
        raise exception 'no incremental model named %', model_name;
    end if;
    rebuild := model.settings_fingerprint is distinct from fingerprint;
    if model.incremental_by = 'load_id' then
        if rebuild then
            execute format('truncate %s', model.name);
            delete from elt.folded_loads as f where f.model = model.name;
            -- every key changes: the by-key models built from this one are recomputed in full
            update elt.models as d set settings_fingerprint = 'recompute: ' || model.name
            where d.incremental_from = model.name and d.settings_fingerprint is not null;
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
            where d.materialized = 'incremental' and d.incremental_from = model.name and not rebuild
        loop
            if to_regclass('pg_temp.' || quote_ident('changed_keys_' || md5(dependent.name))) is not null then
                execute format('drop table %I', 'changed_keys_' || md5(dependent.name));
            end if;
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
            where d.materialized = 'incremental' and d.incremental_from = model.name and not rebuild
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
    values (
        model.name,
        extract(epoch from clock_timestamp() - started) * 1000,
        case when model.settings_fingerprint is null then 'built' when rebuild then 'recomputed' else 'incremental' end
    );
end;
$$;

-- every incremental model but skip_models, in build order
create or replace procedure elt.apply_increments(skip_models text[] default null)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    model record;
begin
    for model in
        select m.name
        from elt.models as m
        where m.materialized = 'incremental'
            and (skip_models is null or not m.name = any(skip_models))
        order by m.build_order
    loop
        call elt.apply_increment(model.name);
    end loop;
end;
$$;

revoke execute on procedure elt.apply_increment(text) from public;
revoke execute on procedure elt.apply_increments(text[]) from public;
