-- raw.loads: the ledger, one row per attempt to load one lake object.
-- An object is identified by its URI; its content by content_id
-- (sha256 of the bytes for local files). At most one load per URI is 'loaded':
-- re-loading the same content is a no-op, new content replaces the old rows.
create table raw.loads (
    load_id bigint generated always as identity primary key,
    source_uri text not null,
    content_id text not null,
    size_bytes bigint,
    status text not null check (status in ('loading', 'loaded', 'replaced', 'failed')),
    row_count bigint,
    reject_count bigint,
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz,
    duration_ms numeric(12, 1),
    error text
);

create unique index loads_one_loaded_per_uri on raw.loads (source_uri) where status = 'loaded';
create index loads_by_uri on raw.loads (source_uri, started_at);
