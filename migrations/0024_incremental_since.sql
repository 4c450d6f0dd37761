-- Incremental models by key with a lower bound (db/procedures/apply_increments.sql):
-- `-- incremental_by: article_id, date` recomputes each changed key's rows from the
-- earliest day (value of the bound column) its inputs changed on, not all its rows.
-- elt.models.incremental_since names the model's bound column (NULL: the whole key);
-- elt.model_inputs.upstream_since_column the input's column holding it (event_date for date).
alter table elt.models add column incremental_since text;

alter table elt.model_inputs add column upstream_since_column text;
