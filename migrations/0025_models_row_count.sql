-- The rows of each incremental model, kept by the engine as it folds (db/procedures/
-- apply_increments.sql: counted in full when it computes the table in full, then moved by
-- the rows each fold inserts and deletes), so that a refresh's summary need not count(*)
-- every mart, a cost that grows with history. NULL: not known yet (counted at the next fold).
alter table elt.models add column row_count bigint;

-- elt_observe.models shows it too (a reader's or analyst's elt refresh reports it): the
-- view is defined in db/procedures/observe_models_view.sql.
