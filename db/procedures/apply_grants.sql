-- elt.apply_grants(): creates the project's roles when it may (else a notice says what
-- a superuser must run) and grants each role what it may do, in this database only.
-- Idempotent; `elt migrate` calls it on every run as the owner, so roles created later
-- by someone else get their grants at the next migrate. Only the owner may run it.
--   <db>_loader   connects; reads and writes raw.*; reads elt.migrations (to know nothing
--                 is pending), reads and claims elt.project, takes load locks
--   <db>_reader   connects; select on marts.* (also marts built later); select on the views of
--                 elt_observe (the ledger's metadata, the refresh log, the models) and
--                 elt_observe.newest_event_at(): what elt status, freshness, docs and test read
--   <db>_analyst  what a reader may, reads elt.settings and elt.refresh_log (what
--                 `elt refresh` reads), and `call elt.refresh_marts()`; no MAINTAIN (a direct
--                 REFRESH without CONCURRENTLY would lock readers out of a mart); its own
--                 environments: elt.create_environment() and elt.drop_environment(), select on
--                 elt.environments (elt env list), and select on staging and intermediate
--                 (also built later), which the models it builds there read; not raw
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
        -- what elt status, freshness, docs and test read of the pipeline: views of its metadata, no raw rows
        execute format('grant usage on schema elt_observe to %I', role_name);
        execute format('grant select on all tables in schema elt_observe to %I', role_name);
        execute format('grant execute on function elt_observe.newest_event_at(text, text) to %I', role_name);
    end loop;

    if exists (select from pg_roles where rolname = analyst) then
        execute format('grant usage on schema elt to %I', analyst);
        -- elt refresh reads the stored settings and the refresh log it reports from
        execute format('grant select on elt.migrations, elt.project, elt.settings, elt.refresh_log to %I', analyst);
        execute format('grant execute on procedure elt.refresh_marts(text[]) to %I', analyst);
        -- environments (elt build --env, elt env drop): the definer functions make and drop its
        -- own; the models it builds there, with its own rights, read production's layers but raw
        execute format('grant execute on function elt.create_environment(text, jsonb), elt.drop_environment(text) to %I', analyst);
        execute format('grant select on elt.environments to %I', analyst);
        foreach kind in array array['staging', 'intermediate'] loop
            execute format('grant usage on schema %I to %I', kind, analyst);
            execute format('grant select on all tables in schema %I to %I', kind, analyst);
            execute format('alter default privileges in schema %I grant select on tables to %I', kind, analyst);
        end loop;
        if current_setting('server_version_num')::int >= 170000 then
            execute format('revoke maintain on all tables in schema marts from %I', analyst);
            execute format('alter default privileges in schema marts revoke maintain on tables from %I', analyst);
        end if;
    end if;
end;
$$;

revoke execute on function elt.apply_grants() from public;
