-- elt.drop_environment(name): what `elt env drop <name>` (and a rebuild of an environment)
-- calls, as any login that may (the owner, a <db>_analyst login): drops the environment's
-- schemas and its record, in the caller's transaction. SECURITY DEFINER (an analyst's
-- environment lives in schemas the owner made: elt.create_environment()), so:
--   - only the login that built it (session_user, recorded as owner_login) or a member of
--     the project's owner (the owner of schema elt; a superuser) may: session_user, not
--     current_user, which here is always the owner;
--   - it drops only the schemas of that record, <layer>__<name> for the layers of the
--     models it holds: made new by elt.create_environment(), never a production schema;
--   - it refuses, before dropping anything, when an object outside those schemas depends
--     on one inside them or on the schemas (pg_depend: a view, a foreign key, a column of
--     that type, a trigger, a default...): DROP SCHEMA ... CASCADE as the owner would take
--     it along, whoever made it. Only logins with USAGE on the schemas can make such an
--     object: the environment's own and the owner. Dropping runs no code of anyone's
--     (event triggers, the only hook on a drop, are a superuser's).
-- Returns the schemas dropped.
create or replace function elt.drop_environment(name text) returns text[]
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    login text := session_user;
    environment record;
    schemas text[];
    dependent record;
    schema_name text;
begin
    if not elt.is_environment_name(name) then
        raise exception 'no environment named % (elt env list shows them); nothing was dropped',
            coalesce(pg_catalog.to_json(pg_catalog.left(name, 40))::text, 'NULL')
            using errcode = 'undefined_object';
    end if;
    select e.name, e.owner_login, e.models into environment
      from elt.environments as e where e.name = drop_environment.name for update;
    if not found then
        raise exception 'no environment named % (elt env list shows them); nothing was dropped', name using errcode = 'undefined_object';
    end if;
    if environment.owner_login <> login
        and not pg_catalog.pg_has_role(login, (select n.nspowner from pg_catalog.pg_namespace as n where n.nspname = 'elt'), 'member') then
        raise exception 'environment % belongs to %: % may not change or drop it; nothing was changed', name, environment.owner_login, login
            using errcode = 'insufficient_privilege';
    end if;
    schemas := array(
        select distinct pg_catalog.split_part(m.model, '.', 1) || '__' || name
          from pg_catalog.jsonb_object_keys(environment.models) as m (model)
         where pg_catalog.split_part(m.model, '.', 1) ~ '^[a-z_][a-z0-9_]*$'
         order by 1);
    select pg_catalog.pg_describe_object(
               case when d.classid = 'pg_catalog.pg_rewrite'::regclass then 'pg_catalog.pg_class'::regclass else d.classid end,
               case when d.classid = 'pg_catalog.pg_rewrite'::regclass
                    then (select r.ev_class from pg_catalog.pg_rewrite as r where r.oid = d.objid) else d.objid end,
               case when d.classid = 'pg_catalog.pg_rewrite'::regclass then 0 else d.objsubid end) as outside,
           pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0) as inside
      into dependent
      from pg_catalog.pg_depend as d
      join pg_catalog.pg_namespace as n on n.nspname = any (schemas)
     where elt.object_namespace(d.refclassid, d.refobjid) = n.oid
       -- internal: a part of the object inside that the system made with it (its toast table)
       and d.deptype <> 'i'
       and not exists (
           select from pg_catalog.pg_namespace as s
            where s.nspname = any (schemas) and s.oid = elt.object_namespace(d.classid, d.objid))
     order by 1, 2
     limit 1;
    if found then
        raise exception 'cannot drop environment %: % (outside it) depends on %: drop it first; nothing was dropped', name, dependent.outside, dependent.inside
            using errcode = 'dependent_objects_still_exist';
    end if;
    schemas := array(select n.nspname::text from pg_catalog.pg_namespace as n where n.nspname = any (schemas) order by 1);
    foreach schema_name in array schemas loop
        execute pg_catalog.format('drop schema %I cascade', schema_name);
    end loop;
    delete from elt.environments as e where e.name = drop_environment.name;
    return schemas;
end;
$$;

revoke execute on function elt.drop_environment(text) from public;
