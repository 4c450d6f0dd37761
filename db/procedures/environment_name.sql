-- elt.is_environment_name(name): whether `name` may name an environment: lower-case
-- letters and digits in words joined by single underscores, starting with a letter, at
-- most 20 bytes, so `<layer>__<name>` is never a production schema, another environment's,
-- or longer than Postgres keeps. The rule elt.create_environment() and
-- elt.drop_environment() check in SQL, whatever the caller; transform/environment-name.ts
-- checks the same before anything is sent (tests/db/environment-privileges.test.ts holds
-- the two to the same answers).
create or replace function elt.is_environment_name(name text) returns boolean
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select name is not null and octet_length(name) <= 20 and name ~ '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'
$$;

revoke execute on function elt.is_environment_name(text) from public;
