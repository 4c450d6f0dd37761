-- Access control a hostile local user cannot get around (see README "Who may do what").
--
-- elt.locks: the locks that serialize migrations, builds, refreshes and loads are row
-- locks (`select ... for update`) on rows of this table, not advisory locks: advisory
-- keys are open to every session of the database, these rows only to the project's
-- roles. The owner takes any of them; the loader role only its per-object load locks
-- (row-level security); nobody else sees the table.
create table elt.locks (
    name text primary key
);
insert into elt.locks (name) values
    ('clickstream-elt:migrate'), ('clickstream-elt:build'), ('clickstream-elt:refresh');
alter table elt.locks enable row level security;
-- the owner bypasses row-level security; the only other role granted the table is the loader
create policy load_locks on elt.locks
    using (name like 'clickstream-elt:load:%')
    with check (name like 'clickstream-elt:load:%');

-- Roles are server-wide and every project has its own database on one server: the roles
-- that open a project are named after its database, <database>_reader, <database>_analyst,
-- <database>_loader (elt.role_name('reader') gives the name), so a reader of one project
-- reads no other. The group roles elt_reader, elt_analyst and elt_loader of 0008 were
-- granted in every database: here they lose all of it.
create function elt.role_name(kind text) returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when octet_length(current_database()) + 1 + octet_length(kind) <= 63 then current_database() || '_' || kind
        -- too long for a role name: a shortened database name and a hash of the whole one
        else left(current_database(), 63 - 10 - length(kind)) || '_' || left(md5(current_database()), 8) || '_' || kind
    end
$$;

do $$
declare
    old text;
begin
    foreach old in array array['elt_loader', 'elt_reader', 'elt_analyst'] loop
        -- a database named "elt" has these as its own roles
        continue when not exists (select from pg_roles where rolname = old)
            or old in (elt.role_name('loader'), elt.role_name('reader'), elt.role_name('analyst'));
        execute format('revoke all on all tables in schema raw, marts from %I', old);
        execute format('revoke all on all sequences in schema raw from %I', old);
        execute format('revoke all on schema raw, marts, elt from %I', old);
        execute format('revoke execute on procedure elt.refresh_marts(text[]) from %I', old);
        execute format('alter default privileges in schema raw revoke all on tables from %I', old);
        execute format('alter default privileges in schema marts revoke all on tables from %I', old);
    end loop;
end;
$$;

-- Every database is open to PUBLIC by default: to any login of the server (who could then
-- take advisory locks, or read whatever PUBLIC may). Only the project's roles connect here.
do $$
begin
    execute format('revoke connect on database %I from public', current_database());
exception when insufficient_privilege then
    raise notice 'cannot revoke CONNECT on database % from PUBLIC (not its owner): any login of the server may connect', current_database();
end;
$$;

-- elt.apply_grants(): creates the project's roles when it may (else a notice says what
-- a superuser must run) and grants each role what it may do, in this database only.
-- Idempotent; `elt migrate` calls it on every run as the owner, so roles created later
-- by someone else get their grants at the next migrate. Only the owner may run it.
--   <db>_loader   connects; reads and writes raw.*; reads elt.migrations (to know nothing
--                 is pending), reads and claims elt.project, takes load locks
--   <db>_reader   connects; select on marts.* (also marts built later)
--   <db>_analyst  what a reader may, and `call elt.refresh_marts()`; no MAINTAIN (a direct
--                 REFRESH without CONCURRENTLY would lock readers out of a mart)
create function elt.apply_grants() returns void
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
        execute format('grant select on elt.migrations, elt.project to %I', analyst);
        execute format('grant execute on procedure elt.refresh_marts(text[]) to %I', analyst);
        if current_setting('server_version_num')::int >= 170000 then
            execute format('revoke maintain on all tables in schema marts from %I', analyst);
            execute format('alter default privileges in schema marts revoke maintain on tables from %I', analyst);
        end if;
    end if;
end;
$$;

revoke execute on function elt.apply_grants() from public;

-- No NOTICE on a normal refresh: a temp table is dropped only when it exists.
create or replace procedure elt.apply_increments(skip_models text[] default null)
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
    started timestamptz;
begin
    for model in
        select m.name, m.name || '__source' as source, m.incremental_by, m.incremental_from, m.settings_fingerprint
        from elt.models as m
        where m.materialized = 'incremental'
            and (skip_models is null or not m.name = any(skip_models))
        order by m.build_order
    loop
        started := clock_timestamp();
        -- the settings changed since this model was computed: recompute it all
        rebuild := model.settings_fingerprint is distinct from fingerprint;
        if model.incremental_by = 'load_id' then
            if rebuild then
                execute format('truncate %s', model.name);
                delete from elt.folded_loads as f where f.model = model.name;
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
                where d.materialized = 'incremental' and d.incremental_from = model.name
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
                where d.materialized = 'incremental' and d.incremental_from = model.name
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
        values (model.name, extract(epoch from clock_timestamp() - started) * 1000, case when rebuild then 'recomputed' else 'incremental' end);
    end loop;
end;
$$;

-- The refresh lock is the row clickstream-elt:refresh of elt.locks, waited for at most
-- the caller's lock_timeout (120 s when none is set), with a message naming it.
create or replace procedure elt.refresh_marts(only_models text[] default null)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    mart record;
    started timestamptz;
    populated boolean;
    caller_lock_timeout text := current_setting('lock_timeout');
begin
    if caller_lock_timeout = '0' then
        perform set_config('lock_timeout', '120s', true);
    end if;
    begin
        perform from elt.locks as l where l.name = 'clickstream-elt:refresh' for update;
    exception when lock_not_available then
        raise exception 'waited % for the refresh lock (clickstream-elt:refresh): another refresh or build holds it',
            current_setting('lock_timeout') using errcode = 'lock_not_available';
    end;
    perform set_config('lock_timeout', caller_lock_timeout, true);
    call elt.apply_increments();
    for mart in
        select m.name, to_regclass(m.name) as relation
        from elt.models as m
        where m.materialized = 'materialized_view'
            and (only_models is null or m.name = any(only_models))
        order by m.build_order
    loop
        if mart.relation is null then
            raise exception 'mart % does not exist: run elt build first', mart.name;
        end if;
        started := clock_timestamp();
        select c.relispopulated into populated from pg_class as c where c.oid = mart.relation;
        if populated then
            execute format('refresh materialized view concurrently %s', mart.relation);
        else
            execute format('refresh materialized view %s', mart.relation);
        end if;
        insert into elt.refresh_log (model, duration_ms, how)
        values (
            mart.name,
            extract(epoch from clock_timestamp() - started) * 1000,
            case when populated then 'concurrently' else 'plain' end
        );
    end loop;
end;
$$;

select elt.apply_grants();
