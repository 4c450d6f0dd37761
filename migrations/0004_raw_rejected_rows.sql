-- raw.rejected_rows: data rows that metrics.md rejects, kept with where they came
-- from and why. raw_text is the line as text; raw_bytes holds the exact bytes
-- when text cannot (invalid UTF-8, NUL bytes), so nothing is lost.
create table raw.rejected_rows (
    load_id bigint not null,
    source_uri text not null,
    line_no integer not null,
    raw_text text not null,
    raw_bytes bytea,
    reason text not null,
    primary key (load_id, line_no)
);
