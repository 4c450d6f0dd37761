-- elt.create_environment(name, models): what `elt build --env <name>` calls first, as any
-- login that may (the owner, a <db>_analyst login): makes the environment's schemas
-- (<layer>__<name>, one per layer of its models) and its record in elt.environments,
-- then the caller builds its models into them with its own rights. SECURITY DEFINER
-- (analysts have no CREATE on the database and no grants on elt.environments), so it
-- runs nothing of the caller's: the name is held to the pattern of
-- transform/environment-name.ts (lower-case words of letters and digits joined by single
-- underscores, at most 20 characters: no schema of production, which have no `__`, nor
-- another environment's); `models` must name models of production's layers, each with a
-- checksum; the schemas are made new (one that exists, whoever made it, refuses the
-- name); the owner is session_user (not a role it SET to), who gets USAGE and CREATE on
-- those schemas and nothing else; built_from is production's state as this transaction
-- sees it (elt.production_state()), not the caller's word. Refused, nothing made, for
-- an environment of that name (the caller's own is dropped first: elt.drop_environment())
-- and while production has loads not yet folded in. Returns the schemas made.
create or replace function elt.create_environment(name text, models jsonb) returns text[]
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    login text := session_user;
    existing record;
    layer text;
    layers text[];
    schemas text[] := '{}';
begin
    if not elt.is_environment_name(name) then
        raise exception 'environment name % is not lower-case letters and digits in words joined by single underscores, starting with a letter, at most 20 characters (e.g. dev, anna_2)',
            coalesce(pg_catalog.to_json(pg_catalog.left(name, 40))::text, 'NULL')
            using errcode = 'invalid_parameter_value';
    end if;
    if models is null or pg_catalog.jsonb_typeof(models) <> 'object'
        or not exists (select from pg_catalog.jsonb_each(models))
        or (select pg_catalog.count(*) from pg_catalog.jsonb_each(models)) > 10000
        or exists (
            select from pg_catalog.jsonb_each(models) as m (model, checksum)
             where m.model !~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$'
                or pg_catalog.octet_length(m.model) > 127
                or pg_catalog.jsonb_typeof(m.checksum) <> 'string'
                or pg_catalog.octet_length(m.checksum #>> '{}') > 128
                or pg_catalog.split_part(m.model, '.', 1) not in (
                    select pg_catalog.split_part(p.name, '.', 1) from elt.models as p)
        ) then
        raise exception 'environment %: models must be an object of at most 10000 models of production''s layers (<layer>.<relation>), each with its checksum',
            name using errcode = 'invalid_parameter_value';
    end if;

    select e.owner_login into existing from elt.environments as e where e.name = create_environment.name for update;
    if found then
        if existing.owner_login <> login then
            raise exception 'environment % belongs to %: % may not change or drop it; nothing was changed', name, existing.owner_login, login
                using errcode = 'insufficient_privilege';
        end if;
        raise exception 'environment % exists: drop it first (elt env drop %)', name, name using errcode = 'duplicate_object';
    end if;
    if elt.has_pending_changes() then
        raise exception 'production has loads not yet folded into its models: run elt refresh, then elt build --env % (an environment starts from production as it is)', name
            using errcode = 'object_not_in_prerequisite_state';
    end if;

    layers := array(select distinct pg_catalog.split_part(m.model, '.', 1) from pg_catalog.jsonb_object_keys(models) as m (model) order by 1);
    foreach layer in array layers loop
        schemas := schemas || (layer || '__' || name);
    end loop;
    -- a schema of that name that no record owns was not made by elt: never built into, never dropped
    select n.nspname into existing from pg_catalog.pg_namespace as n where n.nspname = any (schemas) order by 1 limit 1;
    if found then
        raise exception 'schema % exists and is not environment %''s (elt did not make it): choose another name; nothing was built', existing.nspname, name
            using errcode = 'duplicate_schema';
    end if;
    insert into elt.environments (name, owner_login, built_from, models)
    values (name, login, elt.production_state(), models);
    foreach layer in array schemas loop
        execute pg_catalog.format('create schema %I', layer);
        if login <> current_user then
            execute pg_catalog.format('grant usage, create on schema %I to %I', layer, login);
        end if;
    end loop;
    return schemas;
end;
$$;

revoke execute on function elt.create_environment(text, jsonb) from public;
