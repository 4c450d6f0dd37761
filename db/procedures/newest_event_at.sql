-- elt_observe.newest_event_at(model, source): the newest event time among the loaded rows
-- of one source (elt_observe.loads.source) in `model`, a staging or intermediate model of
-- elt.models with a load_id column; its event time is its `event_at` column, else its first
-- timestamptz column (the rule of observe/freshness.ts). `elt freshness` shows it to every
-- role of the project: a reader may not read those models, so this runs as the owner and
-- returns one timestamp, nothing else of them. NULL for anything else `model` names.
create or replace function elt_observe.newest_event_at(model text, source text) returns timestamptz
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    relation oid;
    event_column name;
    newest timestamptz;
begin
    select c.oid into relation
      from elt.models as m
      join pg_catalog.pg_namespace as n on n.nspname = pg_catalog.split_part(m.name, '.', 1)
      join pg_catalog.pg_class as c on c.relnamespace = n.oid and c.relname = pg_catalog.split_part(m.name, '.', 2)
     where m.name = newest_event_at.model and n.nspname in ('staging', 'intermediate') and c.relkind in ('r', 'v', 'm', 'p');
    if relation is null then
        return null;
    end if;
    if not exists (select from pg_catalog.pg_attribute as a where a.attrelid = relation and a.attname = 'load_id' and not a.attisdropped) then
        return null;
    end if;
    select a.attname into event_column
      from pg_catalog.pg_attribute as a
     where a.attrelid = relation and a.attnum > 0 and not a.attisdropped and a.atttypid = 'pg_catalog.timestamptz'::pg_catalog.regtype
     order by a.attname = 'event_at' desc, a.attnum
     limit 1;
    if event_column is null then
        return null;
    end if;
    -- load by load: with an index on (load_id, <event time>) each is one probe, whatever the history
    execute pg_catalog.format(
        'select max(newest.at) from elt_observe.loads as loads
          cross join lateral (select max(events.%I) as at from %s as events where events.load_id = loads.load_id) as newest
          where loads.status = ''loaded'' and loads.source = $1',
        event_column, relation::pg_catalog.regclass)
      into newest
      using newest_event_at.source;
    return newest;
end;
$$;

revoke execute on function elt_observe.newest_event_at(text, text) from public;
