-- elt_observe.models: the models catalog as readers and analysts may read it (status,
-- freshness, lineage, elt refresh's summary, elt build --env's comparison), defined here
-- once, as code: applied whole whenever this text changes, after the migrations that add
-- the columns it reads. `create or replace` keeps the view's grants (elt.apply_grants()
-- gives them); a new column comes last. Migrations 0020 and 0022 created its first
-- versions, which are history.
--   present      its relation is there (found by name in the catalog, which every role may
--                read, not by to_regclass: that needs usage on the schema)
--   source_view  the view (in elt_engine) holding an incremental model's query
--   row_count    an incremental model's rows, kept by the engine as it folds
--   checksum     the model's SQL and build settings at its last build (elt build --env compares it)
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

comment on column elt_observe.models.source_view is 'the view (in elt_engine) holding an incremental model''s query; null for the other kinds';
comment on column elt_observe.models.row_count is 'an incremental model''s rows, kept by the engine as it folds; null for the other kinds or before its first fold';
comment on column elt_observe.models.checksum is 'the checksum of the model''s SQL and build settings at its last build (elt build --env compares it)';
