-- Every database lets PUBLIC create temporary tables, and the SECURITY DEFINER procedures
-- (elt.refresh_marts and what it calls) run as the owner in the caller's session, where a
-- caller's temporary objects live. The engine's code never uses an object it did not make
-- (db/procedures/engine_temp_table.sql); here, as well, the project's roles lose TEMPORARY:
-- none of them needs it (their work that needs working tables runs as the owner). The owner
-- of the database keeps it; the user migrating, who owns the engine's objects, gets it when
-- it would otherwise have had it through PUBLIC only. Likewise nobody but the database's
-- owner may create objects in schema public (the default since Postgres 15, not for a
-- database made from an older template).
do $$
begin
    if not (pg_has_role(current_user, (select d.datdba from pg_database as d where d.datname = current_database()), 'usage')
            or (select r.rolsuper from pg_roles as r where r.rolname = current_user)) then
        raise notice 'cannot revoke TEMPORARY on database % from PUBLIC (not its owner): any login that may connect may create temporary tables', current_database();
        return;
    end if;
    execute format('revoke temporary on database %I from public', current_database());
    if not has_database_privilege(current_user, current_database(), 'temporary') then
        execute format('grant temporary on database %I to %I', current_database(), current_user);
    end if;
end;
$$;

do $$
begin
    if to_regnamespace('public') is not null
        and (pg_has_role(current_user, (select n.nspowner from pg_namespace as n where n.nspname = 'public'), 'usage')
             or (select r.rolsuper from pg_roles as r where r.rolname = current_user)) then
        revoke create on schema public from public;
    end if;
end;
$$;
