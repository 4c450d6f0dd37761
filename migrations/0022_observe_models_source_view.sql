-- elt_observe.models also says which view holds each incremental model's query
-- (elt.models.source_view, in elt_engine since 0021), so that the lineage a reader or
-- analyst reads maps the engine's source views to their models, as the owner's does.
-- The view keeps its grants (create or replace); the new column comes last.
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
       m.source_view
  from elt.models as m;

comment on column elt_observe.models.source_view is 'the view (in elt_engine) holding an incremental model''s query; null for the other kinds';
