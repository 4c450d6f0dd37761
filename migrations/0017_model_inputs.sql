-- The inputs of the incremental models by key (db/procedures/apply_increments.sql): each
-- upstream incremental model whose changed rows name the keys to recompute, and the
-- upstream column that holds the key. elt.models.incremental_from keeps the header's
-- text; a model may now have several inputs (user_performance: the user days and the
-- sessions), and the key's column may have another name upstream (event_date for date).
create table elt.model_inputs (
    model text not null,
    upstream text not null,
    upstream_column text not null,
    primary key (model, upstream)
);

insert into elt.model_inputs (model, upstream, upstream_column)
select m.name, m.incremental_from, m.incremental_by
from elt.models as m
where m.incremental_from is not null;
