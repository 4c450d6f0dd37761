-- Environments (`elt build --env <name>`, transform/build-environment.ts): the models whose
-- SQL differs from production, and what reads them, built into schemas of their own
-- (<layer>__<name>: marts__dev), reading the unchanged models from production. One row
-- per environment: who built it (the login, session_user), when, the production state it
-- was built from (transform/production-state.ts: `elt promote` refuses once production
-- moved) and the models it holds with their checksums. `elt env drop` drops only the
-- schemas of a name recorded here. The name is held to the pattern of
-- transform/environment-name.ts here too, so no row can name a production schema.
create table elt.environments (
    name text primary key
        check (name ~ '^[a-z][a-z0-9]*(_[a-z0-9]+)*$' and length(name) <= 20),
    owner_login name not null default session_user,
    created_at timestamptz not null default now(),
    built_from jsonb not null,
    models jsonb not null
);

comment on table elt.environments is
    'clickstream-elt environments: each one''s models live in <layer>__<name> schemas (elt env list, elt env drop)';
