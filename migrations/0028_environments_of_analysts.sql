-- Environments of analyst logins (elt build --env, elt env drop as a <db>_analyst login):
-- an analyst has no CREATE on the database and no grants on elt.environments, so the
-- environment's schemas and its record are made and dropped by two narrow SECURITY
-- DEFINER functions (db/procedures/create_environment.sql, drop_environment.sql): they
-- run no SQL of the caller's, record session_user as the environment's owner, and give
-- that login USAGE and CREATE on the environment's schemas only; its models are then
-- built by the login itself, with its own rights. elt.apply_grants() grants the analyst
-- what that needs (the functions, select on elt.environments, staging and intermediate).
--
-- The build of an environment compares the models' checksums with production's: the
-- analyst reads them here, with the rest of the models catalog (a checksum of a model's
-- SQL and build settings, which the analyst's model files hold anyway). The view keeps
-- its grants (create or replace); the new column comes last.
create or replace view elt_observe.models as
select m.name,
       m.materialized,
       m.build_order,
       m.built_at,
       exists (
           select from pg_catalog.pg_class as c
             join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = split_part(m.name, '.', 1) and c.relname = split_part(m.name, '.', 2)
       ) as present,
       m.source_view,
       m.row_count,
       m.checksum
  from elt.models as m;

comment on column elt_observe.models.checksum is 'the checksum of the model''s SQL and build settings at its last build (elt build --env compares it)';
