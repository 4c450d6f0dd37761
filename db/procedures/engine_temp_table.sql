-- elt.engine_temp_table(name): whether this session holds the engine's working table
-- pg_temp.<name>, made earlier in the transaction by the owner's code (the changed keys
-- of a model, a copy of a distributed input). The SECURITY DEFINER procedures run as the
-- owner in the caller's session, and any login allowed TEMPORARY on the database may
-- create objects in its own pg_temp: a table of that name there that the current user
-- (the owner) does not own, or that is not a plain temporary table without triggers,
-- rules or children, is a caller's trap (its trigger, default or view would run as the
-- owner). That is an error: the engine never reads, writes or drops it.
create or replace function elt.engine_temp_table(name text) returns boolean
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    relation regclass := pg_catalog.to_regclass('pg_temp.' || pg_catalog.quote_ident(name));
    found_owner text;
    ours boolean;
begin
    if relation is null then
        return false;
    end if;
    select pg_catalog.pg_get_userbyid(c.relowner),
           c.relowner = (select r.oid from pg_catalog.pg_roles as r where r.rolname = current_user)
           and c.relkind = 'r' and c.relpersistence = 't'
           and not c.relhastriggers and not c.relhasrules and not c.relhassubclass
    into found_owner, ours
    from pg_catalog.pg_class as c
    where c.oid = relation;
    if ours is not true then
        raise exception 'pg_temp.% in this session is not the engine''s working table (made by %): refusing to use it; drop it and run again', name, found_owner
            using errcode = 'insufficient_privilege';
    end if;
    return true;
end;
$$;

revoke execute on function elt.engine_temp_table(text) from public;
