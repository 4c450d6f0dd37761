-- The incremental engine (see README "Incremental models"): incremental models are
-- tables that follow new data instead of recomputing all history. Two kinds:
--   by load:  rows carry load_id; new loads' rows are inserted, the rows of loads no
--             longer loaded (replaced) deleted; elt.folded_loads says which loads it holds;
--   by key:   rows are recomputed for the key values (a session id, an article id, a day)
--             that the changed rows of its inputs carry (elt.model_inputs: upstream
--             incremental models of either kind, each with the column holding the key);
--             with a lower bound (incremental_by: article_id, date), only each key's rows
--             from the least bound its inputs changed on, which the model's query reads,
--             with its row just before, through elt.fold_keys()
--             (docs/concepts/incremental-models.md, "By key from a lower bound").
-- A model's query is the view elt.models.source_view (named by the build), which its
-- table is filled from. elt.models.settings_fingerprint holds the settings the table
-- was computed with: NULL (never filled: the build's first fill) or other settings
-- make the next apply compute it in full. `elt build` fills a new table with
-- elt.apply_increment(model) and elt.refresh_marts() calls elt.apply_increments():
-- one path for the first fill and every later one. The keys a change touches wait in
-- a temporary table per by-key model (changed_keys_<md5 of its name>, dropped at
-- commit) until that model is applied, in build order, in the same transaction. These
-- procedures run as the owner in the caller's session: every temporary table is named
-- pg_temp.<name> and used only when elt.engine_temp_table() says this code made it.
-- A refresh folds the loads that were loaded when it began (the temporary table
-- refresh_loads, made by elt.apply_increments): a load that commits while it runs is
-- left to the next refresh by every model alike, never folded (empty) by the models
-- built on int_events after int_events was brought up to date without it.

-- remember, for the by-key models that read upstream_model, the keys its rows matching
-- predicate ($1: keys) carry: called before the rows are deleted and after new ones are in.
-- For a model with a lower bound (incremental_by: <key>, <bound>) each key comes with the
-- least value of the bound those rows carry (the column since of its changed keys).
create or replace procedure elt.note_changed_keys(upstream_model text, predicate text, keys text[])
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    input record;
    target text;
begin
    for input in
        select i.model, i.upstream_column, coalesce(i.upstream_since_column, d.incremental_since) as since_column, d.incremental_since is not null as bounded
        from elt.model_inputs as i
        join elt.models as d on d.name = i.model
        where i.upstream = upstream_model and d.materialized = 'incremental'
    loop
        target := 'changed_keys_' || md5(input.model);
        -- only a table this code made: one the caller made in its pg_temp is an error (db/procedures/engine_temp_table.sql)
        if input.bounded then
            if not elt.engine_temp_table(target) then
                execute format(
                    'create temp table pg_temp.%I on commit drop as select %I as key, %I as since from %s where false',
                    target, input.upstream_column, input.since_column, upstream_model
                );
            end if;
            execute format(
                'insert into pg_temp.%I (key, since) select %I, min(%I) from %s where ' || predicate || ' group by 1',
                target, input.upstream_column, input.since_column, upstream_model
            ) using keys;
            continue;
        end if;
        if not elt.engine_temp_table(target) then
            execute format(
                'create temp table pg_temp.%I on commit drop as select %I as key from %s where false',
                target, input.upstream_column, upstream_model
            );
        end if;
        execute format(
            'insert into pg_temp.%I select distinct %I from %s where ' || predicate,
            target, input.upstream_column, upstream_model
        ) using keys;
    end loop;
end;
$$;

-- elt.fold_keys(): what a model with a lower bound (incremental_by: <key>, <bound>)
-- computes, read by its query while the engine brings it up to date (elt.fold_model names
-- it, for this transaction): each key (as text), the bound's value from which its rows are
-- computed (as text; in a full computation, its least value in the inputs), and the
-- model's row of that key just before it (as jsonb; NULL when none), which a running sum
-- starts from. Any other time it is an error: the query computes nothing outside the engine.
create or replace function elt.fold_keys()
returns table (key text, since text, previous jsonb)
language plpgsql
stable
-- the planner's guess of its rows: a day's changed keys, so it joins them to the inputs' indexes
rows 100
set search_path = pg_catalog, pg_temp
as $$
declare
    model record;
begin
    select m.name, m.incremental_by, m.incremental_since
    into model
    from elt.models as m
    where m.name = current_setting('elt.fold_model', true) and m.materialized = 'incremental' and m.incremental_since is not null;
    if not found or not elt.engine_temp_table('changed_keys_' || md5(model.name)) then
        raise exception 'elt.fold_keys() is read by the query of a model with a lower bound (incremental_by: <key>, <bound>) while the engine brings it up to date, and at no other time';
    end if;
    return query execute format(
        'select c.key::text, c.since::text,
                (select to_jsonb(t) from %1$s as t where t.%2$I = c.key and t.%3$I < c.since order by t.%3$I desc limit 1)
           from (select k.key, min(k.since) as since from pg_temp.%4$I as k where k.key is not null group by k.key) as c',
        model.name, model.incremental_by, model.incremental_since, 'changed_keys_' || md5(model.name)
    );
end;
$$;

-- one model, brought up to date (or computed in full, see above)
create or replace procedure elt.apply_increment(model_name text)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    model record;
    fingerprint text := elt.settings_fingerprint();
    new_loads text[];
    gone_loads text[];
    changed text[];
    changed_table text;
    key_predicate text;
    bound_predicate text;
    input record;
    input_predicates jsonb;
    rebuild boolean;
    drop_refresh_loads boolean := false;
    inserted bigint;
    deleted bigint;
    counted bigint;
    distributed boolean := false;
    seen_snapshot pg_snapshot;
    started timestamptz := clock_timestamp();
begin
    select m.name, m.source_view as source, m.incremental_by, m.incremental_since, m.settings_fingerprint, m.row_count
    into model
    from elt.models as m
    where m.name = model_name and m.materialized = 'incremental';
    if not found then
        raise exception 'no incremental model named %', model_name;
    end if;
    -- the rows this transaction has inserted into and deleted from the table so far (its row count moves by what this fold adds to them)
    inserted := pg_stat_get_xact_tuples_inserted(model.name::regclass);
    deleted := pg_stat_get_xact_tuples_deleted(model.name::regclass);
    rebuild := model.settings_fingerprint is distinct from fingerprint;
    if rebuild then
        -- every key changes: the by-key models built from this one are recomputed in full
        update elt.models as d set settings_fingerprint = 'recompute: ' || model.name
        where d.settings_fingerprint is not null
            and d.name in (select i.model from elt.model_inputs as i where i.upstream = model.name);
    end if;
    if model.incremental_by = 'load_id' then
        if rebuild then
            execute format('truncate %s', model.name);
            delete from elt.folded_loads as f where f.model = model.name;
        end if;
        if not elt.engine_temp_table('refresh_loads') then
            -- a first fill by the build, outside a refresh: the loads loaded now
            perform set_config('elt.loads_snapshot', elt.loads_snapshot()::text, true);
            create temp table refresh_loads on commit drop as
                select l.load_id from raw.loads as l where l.status = 'loaded';
            drop_refresh_loads := true;
        end if;
        -- what this fold could see (the snapshot set just before refresh_loads was made, in this
        -- transaction), for "anything new?" (transform/pending-changes.ts, migration 0027)
        seen_snapshot := nullif(current_setting('elt.loads_snapshot', true), '')::pg_snapshot;
        new_loads := array(
            select l.load_id::text from pg_temp.refresh_loads as l
            where not exists (select from elt.folded_loads as f where f.model = model.name and f.load_id = l.load_id)
        );
        gone_loads := array(
            select f.load_id::text from elt.folded_loads as f
            where f.model = model.name
                and not exists (select from pg_temp.refresh_loads as l where l.load_id = f.load_id)
        );
        if drop_refresh_loads then
            drop table pg_temp.refresh_loads;
        end if;
        if not rebuild then
            call elt.note_changed_keys(model.name, 'load_id = any($1::bigint[])', gone_loads);
        end if;
        execute format('delete from %s where load_id = any($1::bigint[])', model.name) using gone_loads;
        if rebuild then
            execute format('insert into %s select * from %s as m where m.load_id = any($1::bigint[])', model.name, model.source)
                using new_loads;
        elsif cardinality(new_loads) > 0 then
            -- the same insert, also on Citus (db/procedures/insert_from_source.sql)
            call elt.insert_from_source(model.name, model.source, 'load_id = any($1::bigint[])', new_loads, null);
        end if;
        if not rebuild then
            call elt.note_changed_keys(model.name, 'load_id = any($1::bigint[])', new_loads);
        end if;
        delete from elt.folded_loads as f where f.model = model.name and f.load_id = any(gone_loads::bigint[]);
        insert into elt.folded_loads (model, load_id) select model.name, unnest(new_loads::bigint[]);
    elsif model.incremental_since is not null then
        -- by key from a lower bound: each changed key's rows from the least bound its inputs
        -- changed on (pg_temp.changed_keys_*: key, since); the query reads them, and the row
        -- just before, through elt.fold_keys() (above)
        changed_table := 'changed_keys_' || md5(model.name);
        if rebuild then
            -- every key, from its first value of the bound
            for input in
                select i.upstream, i.upstream_column, coalesce(i.upstream_since_column, model.incremental_since) as since_column
                from elt.model_inputs as i where i.model = model.name
            loop
                if not elt.engine_temp_table(changed_table) then
                    execute format(
                        'create temp table pg_temp.%I on commit drop as select %I as key, %I as since from %s where false',
                        changed_table, input.upstream_column, input.since_column, input.upstream
                    );
                end if;
                execute format(
                    'insert into pg_temp.%I (key, since) select %I, min(%I) from %s group by 1',
                    changed_table, input.upstream_column, input.since_column, input.upstream
                );
            end loop;
            -- rows, not truncate: a reader of the table (an analyst on a mart) is never blocked
            execute format('delete from %s', model.name);
        end if;
        if elt.engine_temp_table(changed_table) then
            execute format('select array(select distinct key::text from pg_temp.%I where key is not null)', changed_table) into changed;
            -- the rows from each key's bound on (for the models built from this one)
            bound_predicate := format(
                'exists (select from pg_temp.%1$I as c where c.key = %2$s.%3$I and %2$s.%4$I >= c.since)',
                changed_table, model.name, model.incremental_by, model.incremental_since
            );
            if not rebuild then
                call elt.note_changed_keys(model.name, bound_predicate, changed);
                execute format(
                    'delete from %1$s as t using (select key, min(since) as since from pg_temp.%2$I group by key) as c
                      where t.%3$I = c.key and t.%4$I >= c.since',
                    model.name, changed_table, model.incremental_by, model.incremental_since
                );
            end if;
            select coalesce(jsonb_object_agg(i.upstream, format('%I = any($1::%s[])', a.attname, format_type(a.atttypid, a.atttypmod))), '{}')
            into input_predicates
            from elt.model_inputs as i
            join pg_attribute as a on a.attrelid = to_regclass(i.upstream) and a.attname = i.upstream_column and not a.attisdropped
            where i.model = model.name;
            perform set_config('elt.fold_model', model.name, true);
            if rebuild then
                execute format('insert into %s select * from %s', model.name, model.source);
            else
                -- the same insert, also on Citus: the inputs' rows holding the keys (db/procedures/insert_from_source.sql);
                -- no filter around the query: on the keys alone it would lead Postgres to read every day of each key
                call elt.insert_from_source(model.name, model.source, null, changed, input_predicates);
            end if;
            perform set_config('elt.fold_model', '', true);
            if not rebuild then
                call elt.note_changed_keys(model.name, bound_predicate, changed);
            end if;
            execute format('drop table pg_temp.%I', changed_table);
        end if;
    else
        changed_table := 'changed_keys_' || md5(model.name);
        if rebuild then
            -- rows, not truncate: a reader of the table (an analyst on a mart) is never blocked
            execute format('delete from %s', model.name);
            execute format('insert into %s select * from %s', model.name, model.source);
        elsif elt.engine_temp_table(changed_table) then
            execute format('select array(select distinct key::text from pg_temp.%I where key is not null)', changed_table) into changed;
            -- the keys compared as the table's own type, so the filter reaches into the query's groups and windows
            select format('%I = any($1::%s[])', a.attname, format_type(a.atttypid, a.atttypmod))
            into key_predicate
            from pg_attribute as a
            where a.attrelid = model.name::regclass and a.attname = model.incremental_by and not a.attisdropped;
            call elt.note_changed_keys(model.name, key_predicate, changed);
            execute format('delete from %s where ' || key_predicate, model.name) using changed;
            -- the same insert, also on Citus: the inputs' rows holding the keys (db/procedures/insert_from_source.sql)
            select coalesce(jsonb_object_agg(i.upstream, format('%I = any($1::%s[])', a.attname, format_type(a.atttypid, a.atttypmod))), '{}')
            into input_predicates
            from elt.model_inputs as i
            join pg_attribute as a on a.attrelid = to_regclass(i.upstream) and a.attname = i.upstream_column and not a.attisdropped
            where i.model = model.name;
            call elt.insert_from_source(model.name, model.source, key_predicate, changed, input_predicates);
            call elt.note_changed_keys(model.name, key_predicate, changed);
        end if;
        if elt.engine_temp_table(changed_table) then
            execute format('drop table pg_temp.%I', changed_table);
        end if;
    end if;
    -- its rows: counted when it was computed in full (that read them all anyway), on a table Citus
    -- distributes (whose rows change on the workers) or when not known; else moved by this fold's inserts and deletes
    if to_regclass('pg_catalog.pg_dist_partition') is not null then
        execute 'select exists (select from pg_catalog.pg_dist_partition where logicalrelid = $1::regclass)' into distributed using model.name;
    end if;
    if rebuild or model.row_count is null or distributed then
        execute format('select count(*) from %s', model.name) into counted;
    else
        counted := model.row_count
            + (pg_stat_get_xact_tuples_inserted(model.name::regclass) - inserted)
            - (pg_stat_get_xact_tuples_deleted(model.name::regclass) - deleted);
    end if;
    update elt.models as m
       set settings_fingerprint = fingerprint, row_count = counted,
           loads_snapshot = seen_snapshot,
           loads_as_of = case when seen_snapshot is not null then transaction_timestamp() end
     where m.name = model.name;
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
    -- the loads this refresh folds, the same for every model (see the top of this file)
    if elt.engine_temp_table('refresh_loads') then
        drop table pg_temp.refresh_loads;
    end if;
    -- taken before the loads are read: whatever that read misses, this snapshot misses too
    -- (transform/pending-changes.ts finds it from here: elt.models.loads_snapshot)
    perform set_config('elt.loads_snapshot', elt.loads_snapshot()::text, true);
    create temp table refresh_loads on commit drop as
        select l.load_id from raw.loads as l where l.status = 'loaded';
    for model in
        select m.name
        from elt.models as m
        where m.materialized = 'incremental'
            and (skip_models is null or not m.name = any(skip_models))
        order by m.build_order
    loop
        call elt.apply_increment(model.name);
    end loop;
    drop table pg_temp.refresh_loads;
end;
$$;

revoke execute on procedure elt.note_changed_keys(text, text, text[]) from public;
revoke execute on function elt.fold_keys() from public;
revoke execute on procedure elt.apply_increment(text) from public;
revoke execute on procedure elt.apply_increments(text[]) from public;
