-- What the analyst role may read grows by what `elt refresh` reads: elt.settings (the
-- reporting time zone and session gap it refreshes with) and elt.refresh_log (what it
-- reports). elt.apply_grants() is otherwise as in 0013.
--
-- elt.is_timestamptz(text): true when Postgres reads the text as a timestamptz. A model
-- uses it to keep a malformed value from failing a whole view; on Postgres 16+ it is
-- pg_input_is_valid, on 15 (which lacks it) a cast in a block that catches the error.
create or replace function elt.apply_grants() returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    kind text;
    role_name text;
    loader text := elt.role_name('loader');
    reader text := elt.role_name('reader');
    analyst text := elt.role_name('analyst');
begin
    foreach kind in array array['loader', 'reader', 'analyst'] loop
        role_name := elt.role_name(kind);
        if not exists (select from pg_roles where rolname = role_name) then
            if (select rolcreaterole or rolsuper from pg_roles where rolname = current_user) then
                begin
                    execute format('create role %I nologin', role_name);
                exception when duplicate_object or unique_violation then
                    null; -- created at the same moment by another session
                end;
            else
                raise notice 'cannot create role % (no CREATEROLE): a superuser can run "create role % nologin", the next elt migrate grants it', role_name, role_name;
                continue;
            end if;
        end if;
        execute format('grant connect on database %I to %I', current_database(), role_name);
    end loop;

    if exists (select from pg_roles where rolname = loader) then
        execute format('grant usage on schema raw to %I', loader);
        execute format('grant select, insert, update, delete on all tables in schema raw to %I', loader);
        execute format('grant usage on all sequences in schema raw to %I', loader);
        execute format('alter default privileges in schema raw grant select, insert, update, delete on tables to %I', loader);
        execute format('alter default privileges in schema raw grant usage on sequences to %I', loader);
        execute format('grant usage on schema elt to %I', loader);
        execute format('grant select on elt.migrations to %I', loader);
        execute format('grant select, insert on elt.project to %I', loader);
        execute format('grant select, insert, update on elt.locks to %I', loader);
    end if;

    foreach role_name in array array[reader, analyst] loop
        continue when not exists (select from pg_roles where rolname = role_name);
        execute format('grant usage on schema marts to %I', role_name);
        execute format('grant select on all tables in schema marts to %I', role_name);
        -- marts are rebuilt by the owner: new ones get the grant too
        execute format('alter default privileges in schema marts grant select on tables to %I', role_name);
    end loop;

    if exists (select from pg_roles where rolname = analyst) then
        execute format('grant usage on schema elt to %I', analyst);
        -- elt refresh reads the stored settings and the refresh log it reports from
        execute format('grant select on elt.migrations, elt.project, elt.settings, elt.refresh_log to %I', analyst);
        execute format('grant execute on procedure elt.refresh_marts(text[]) to %I', analyst);
        if current_setting('server_version_num')::int >= 170000 then
            execute format('revoke maintain on all tables in schema marts from %I', analyst);
            execute format('alter default privileges in schema marts revoke maintain on tables from %I', analyst);
        end if;
    end if;
end;
$$;

revoke execute on function elt.apply_grants() from public;

do $$
begin
    if current_setting('server_version_num')::int >= 160000 then
        execute $f$
            create function elt.is_timestamptz(value text) returns boolean
            language sql stable parallel safe
            set search_path = pg_catalog, pg_temp
            as 'select pg_input_is_valid(value, ''timestamptz'')'
        $f$;
    else
        execute $f$
            create function elt.is_timestamptz(value text) returns boolean
            language plpgsql stable parallel safe
            set search_path = pg_catalog, pg_temp
            as 'begin perform value::timestamptz; return true; exception when others then return false; end'
        $f$;
    end if;
end;
$$;

grant execute on function elt.is_timestamptz(text) to public;
