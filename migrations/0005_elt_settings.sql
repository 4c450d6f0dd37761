-- elt.settings: the one row of settings the models read (never hard-coded in SQL),
-- so the reporting time zone and session gap can change without editing a model.
create table elt.settings (
    is_singleton boolean primary key default true check (is_singleton),
    reporting_time_zone text not null default 'UTC',
    session_gap interval not null default interval '30 minutes'
        check (session_gap > interval '0')
);

insert into elt.settings default values;
