-- The engine's own relations (the view holding each incremental model's query, which
-- its table is filled from) live in schema elt_engine, out of the schemas analysts
-- browse: staging, intermediate and marts hold the models only. Owned by the user
-- migrating (the owner, who builds); no project role is granted anything on it (the
-- refresh procedures are SECURITY DEFINER and read it as the owner). The source views
-- the code before this migration made beside each model (<model>__source) are moved by
-- the next elt build (transform/build-models.ts): the new view first, the old one then
-- dropped, never with CASCADE. The names are spelled in transform/source-views.ts.
create schema if not exists elt_engine;
comment on schema elt_engine is
    'clickstream-elt engine: the views holding the incremental models'' queries, which elt build and elt refresh fill their tables from. Not for reading: read the models in staging, intermediate and marts.';
revoke all on schema elt_engine from public;
