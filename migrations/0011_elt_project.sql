-- elt.project: which project's models this database holds. Projects have their own
-- models in the same schemas (staging, intermediate, marts), so two projects must
-- never share a database: a run of another project here is refused.
create table elt.project (
    is_singleton boolean primary key default true check (is_singleton),
    name text not null,
    first_run_at timestamptz not null default now()
);
