-- Procedures and functions are code, not schema history: from here on they live in
-- db/procedures/*.sql (elt.apply_increment(s), elt.refresh_marts, elt.settings_fingerprint,
-- elt.apply_grants, elt.role_name, elt.is_timestamptz), one file each, applied whole
-- (create or replace) by `elt migrate` after the migrations whenever a file's text
-- changes. elt.procedures records the sha256 of each file as last applied. The versions
-- the migrations before this one created are replaced in the same transaction.
create table elt.procedures (
    name text primary key,
    checksum text not null,
    applied_at timestamptz not null default now()
);

-- The view holding an incremental model's query, as the build named it (the convention
-- lives in transform/model-catalog.ts); the engine reads it from here. Models built
-- before this migration were named <model>__source.
alter table elt.models add column source_view text;
update elt.models set source_view = name || '__source' where materialized = 'incremental';
