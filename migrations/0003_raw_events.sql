-- raw.raw_events: one row per accepted data row of a lake object.
-- event is the row as one JSON object keyed by the file's header
-- (ATTRIBUTES nested as an object); load_id and line_no say where it came from.
-- No foreign key to raw.loads: it would fire a trigger per row during COPY;
-- rows are only written and deleted by the loader, per load, in one transaction.
create table raw.raw_events (
    load_id bigint not null,
    line_no integer not null,
    event jsonb not null,
    primary key (load_id, line_no)
);
