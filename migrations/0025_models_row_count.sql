-- The rows of each incremental model, kept by the engine as it folds (db/procedures/
-- apply_increments.sql: counted in full when it computes the table in full, then moved by
-- the rows each fold inserts and deletes), so that a refresh's summary need not count(*)
-- every mart, a cost that grows with history. NULL: not known yet (counted at the next fold).
alter table elt.models add column row_count bigint;

-- elt_observe.models says it too (a reader's or analyst's elt refresh reports it); the view
-- keeps its grants (create or replace); the new column comes last.
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
       m.row_count
  from elt.models as m;

comment on column elt_observe.models.row_count is 'an incremental model''s rows, kept by the engine as it folds; null for the other kinds or before its first fold';
