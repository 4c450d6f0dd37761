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
-- <database>_loader (elt.role_name('reader') gives the name: db/procedures/role_name.sql), so a reader of one project
-- reads no other. The group roles elt_reader, elt_analyst and elt_loader of 0008 were
-- granted in every database: here they lose all of it.
do $$
declare
    old text;
begin
    foreach old in array array['elt_loader', 'elt_reader', 'elt_analyst'] loop
        -- a database named "elt" has these as its own roles
        continue when not exists (select from pg_roles where rolname = old)
            or old = current_database() || substr(old, 4);
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

-- What each role may do is granted by elt.apply_grants(), and the refresh takes its lock as
-- a row of elt.locks in elt.refresh_marts() and elt.apply_increments(): those are code, kept
-- in db/procedures/ and applied by `elt migrate` after the migrations (then apply_grants runs).
