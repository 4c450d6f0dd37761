-- elt.role_name(kind): the name of one of the project's roles in this database,
-- <database>_reader, <database>_analyst, <database>_loader (shortened with a hash when
-- the database name is too long for a role name).
create or replace function elt.role_name(kind text) returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when octet_length(current_database()) + 1 + octet_length(kind) <= 63 then current_database() || '_' || kind
        -- too long for a role name: a shortened database name and a hash of the whole one
        else left(current_database(), 63 - 10 - length(kind)) || '_' || left(md5(current_database()), 8) || '_' || kind
    end
$$;
