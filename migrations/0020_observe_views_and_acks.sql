-- elt_observe: what `elt status`, `elt freshness`, `elt docs` and `elt test` read about
-- the pipeline, for every role of the project (elt.apply_grants() grants the reader and the
-- analyst select on these views and usage on the schema, nothing else of it). Views owned
-- by the owner: they read the ledger, the refresh log and the models catalog as the owner
-- does, and show their metadata only: no raw rows, no rejected rows' text, no content hashes.
create schema elt_observe;

-- A failed object whose file is gone from the lake can be acknowledged (`elt status --ack
-- <uri>`): it stays in the ledger, failed, but no longer needs attention. Only a failed
-- attempt is acknowledged.
alter table raw.loads
    add column acknowledged_at timestamptz,
    add column acknowledged_by text,
    add constraint loads_acknowledged_failed_check check (acknowledged_at is null or status = 'failed');

-- one row per attempt to load a lake object or a stream batch; `source` is what
-- freshness judges: a stream's URI, a lake object's URI without its last segment
create view elt_observe.loads as
select load_id,
       source_uri,
       status,
       row_count,
       reject_count,
       size_bytes,
       started_at,
       finished_at,
       duration_ms,
       error,
       duplicate_of,
       stream_id,
       stream_first_seq,
       stream_last_seq,
       acknowledged_at,
       acknowledged_by,
       case when stream_id is not null or source_uri like 'nats://%' then source_uri
            else regexp_replace(source_uri, '[^/]*$', '') end as source
  from raw.loads;

-- one row per refresh (or build) of a mart
create view elt_observe.refresh_log as
select model, refreshed_at, duration_ms, how
  from elt.refresh_log;

-- the models the database has; `present`: its relation is there (found by name in the
-- catalog, which every role may read, not by to_regclass: that needs usage on the schema)
create view elt_observe.models as
select m.name,
       m.materialized,
       m.build_order,
       m.built_at,
       exists (
           select from pg_catalog.pg_class as c
             join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = split_part(m.name, '.', 1) and c.relname = split_part(m.name, '.', 2)
       ) as present
  from elt.models as m;
