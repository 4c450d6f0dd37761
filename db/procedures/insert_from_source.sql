-- elt.insert_from_source(target, source, predicate, keys, inputs): inserts into the
-- incremental table target the rows of its source view matching predicate ($1: keys;
-- NULL: every row, for a view that reads what to compute itself, through elt.fold_keys()),
-- what elt.apply_increment does for new loads or changed keys.
--
-- On one Postgres (and for a table that Citus distributes itself) that is one statement:
-- Postgres pushes the filter down into the view's groups and windows. On Citus, a table
-- kept on the coordinator whose view reads a distributed table (int_*_days_by_load from
-- int_events, a mart from int_sessions) would have its whole view computed over all
-- history first (Citus plans a view it cannot push down to the workers as a subplan, without
-- the outer filter). So there, the rows of each distributed input that the change touches
-- (inputs: upstream relation => its predicate on $1; NULL: by load, every input with a load_id) are
-- copied to a temporary table of the same name first, and the view's own query runs on those.
-- Which path is taken is read from the catalog (pg_dist_partition), not from a setting.
create or replace procedure elt.insert_from_source(target text, source text, predicate text, keys text[], inputs jsonb default '{}')
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    query text;
    upstream record;
    distributed boolean;
    copied text[] := '{}';
begin
    if to_regclass('pg_catalog.pg_dist_partition') is not null then
        execute 'select exists (select from pg_catalog.pg_dist_partition where logicalrelid = $1::regclass)' into distributed using target;
        if not distributed then
            query := rtrim(pg_get_viewdef(source::regclass), '; ' || chr(10));
            if inputs is null then
                -- by load: every table the view reads that has a load_id, filtered on it
                select coalesce(jsonb_object_agg(d.refobjid::regclass::text, 'load_id = any($1::bigint[])'), '{}')
                into inputs
                from pg_rewrite as r
                join pg_depend as d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid and d.refclassid = 'pg_class'::regclass
                where r.ev_class = source::regclass and d.refobjid <> r.ev_class
                    and exists (select from pg_attribute as a where a.attrelid = d.refobjid and a.attname = 'load_id' and not a.attisdropped);
            end if;
            for upstream in select i.key as relation, i.value as filter from jsonb_each_text(inputs) as i loop
                execute 'select exists (select from pg_catalog.pg_dist_partition where logicalrelid = $1::regclass)'
                    into distributed using upstream.relation;
                continue when not distributed;
                -- a table of that name in the caller's pg_temp is refused, never read (db/procedures/engine_temp_table.sql)
                if elt.engine_temp_table((parse_ident(upstream.relation))[2]) then
                    raise exception 'pg_temp.% is already a copy of another input of %', (parse_ident(upstream.relation))[2], target;
                end if;
                execute format(
                    'create temp table pg_temp.%I on commit drop as select * from %s where ' || upstream.filter,
                    (parse_ident(upstream.relation))[2], upstream.relation
                ) using keys;
                copied := copied || (parse_ident(upstream.relation))[2];
                query := regexp_replace(
                    query,
                    '\m' || replace(upstream.relation, '.', '\.') || '\M',
                    'pg_temp.' || quote_ident((parse_ident(upstream.relation))[2]),
                    'g'
                );
            end loop;
            if cardinality(copied) > 0 then
                execute format('insert into %s select * from (%s) as m where ' || coalesce('m.' || predicate, 'true'), target, query) using keys;
                for i in 1 .. cardinality(copied) loop
                    execute format('drop table pg_temp.%I', copied[i]);
                end loop;
                return;
            end if;
        end if;
    end if;
    execute format('insert into %s select * from %s as m where ' || coalesce('m.' || predicate, 'true'), target, source) using keys;
end;
$$;

revoke execute on procedure elt.insert_from_source(text, text, text, text[], jsonb) from public;
