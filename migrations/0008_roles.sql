-- Least-privilege group roles (no login; add people with `create role alice login in role elt_reader`):
--   elt_loader   writes the raw layer, nothing else
--   elt_reader   reads the marts, nothing else (no raw, no staging)
--   elt_analyst  a reader who may also refresh the marts: `call elt.refresh_marts()`
--                (and, on Postgres 17+, REFRESH directly through the MAINTAIN privilege)
-- Roles belong to the whole server, so they are created only when missing (another
-- database may have created them); a user without CREATEROLE, or without admin
-- rights on an existing role, gets a notice instead of a failed migration, and the
-- grants on this database's objects are made to whichever of the roles exist.
do $$
declare
    role_name text;
begin
    foreach role_name in array array['elt_loader', 'elt_reader', 'elt_analyst'] loop
        if not exists (select from pg_roles where rolname = role_name) then
            if (select rolcreaterole or rolsuper from pg_roles where rolname = current_user) then
                begin
                    execute format('create role %I nologin', role_name);
                exception when duplicate_object or unique_violation then
                    null; -- another database's migration created it at the same moment
                end;
            else
                raise notice 'cannot create role % (no CREATEROLE): skipping its grants', role_name;
            end if;
        end if;
    end loop;

    if exists (select from pg_roles where rolname = 'elt_loader') then
        grant usage on schema raw to elt_loader;
        grant select, insert, update, delete on all tables in schema raw to elt_loader;
        grant usage on all sequences in schema raw to elt_loader;
        alter default privileges in schema raw grant select, insert, update, delete on tables to elt_loader;
    end if;

    if exists (select from pg_roles where rolname = 'elt_reader') then
        grant usage on schema marts to elt_reader;
        grant select on all tables in schema marts to elt_reader;
        -- marts are rebuilt by the owner: new ones get the grant too
        alter default privileges in schema marts grant select on tables to elt_reader;
    end if;

    if exists (select from pg_roles where rolname = 'elt_analyst') then
        if exists (select from pg_roles where rolname = 'elt_reader')
            and not pg_has_role('elt_analyst', 'elt_reader', 'member') then
            begin
                grant elt_reader to elt_analyst;
            exception when insufficient_privilege then
                raise notice 'cannot make elt_analyst a member of elt_reader (no admin option on it): grant it as a superuser';
            end;
        end if;
        grant usage on schema elt to elt_analyst;
        grant execute on procedure elt.refresh_marts(text[]) to elt_analyst;
        if current_setting('server_version_num')::int >= 170000 then
            execute 'grant maintain on all tables in schema marts to elt_analyst';
            execute 'alter default privileges in schema marts grant maintain on tables to elt_analyst';
        end if;
    end if;
end;
$$;

-- procedures are executable by everyone unless revoked
revoke execute on procedure elt.refresh_marts(text[]) from public;
