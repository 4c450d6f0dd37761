-- elt.loads_snapshot(): what a fold is about to read of raw.loads, as a pg_snapshot whose
-- xmax is an id this transaction takes now (pg_current_xact_id()) and whose xip lists every
-- transaction below it that the statement's snapshot did not see completed: those in
-- progress at it, and those that began between it and now. A transaction outside that list
-- and below xmax was seen by the fold; one from xmax on began after this transaction did,
-- so the finished_at it stamps on a load comes after this transaction's start.
-- "Anything new?" (transform/pending-changes.ts) relies on both (elt.models.loads_snapshot).
create or replace function elt.loads_snapshot() returns pg_snapshot
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    seen pg_snapshot := pg_current_snapshot();
    own bigint := pg_current_xact_id()::text::bigint;
    seen_xmax bigint := pg_snapshot_xmax(seen)::text::bigint;
begin
    return format(
        '%s:%s:%s',
        pg_snapshot_xmin(seen),
        greatest(seen_xmax, own),
        array_to_string(array(
            select x from (
                select x::text::bigint as x from pg_snapshot_xip(seen) as x
                union
                select generate_series(seen_xmax, own - 1)
            ) as running
            order by x
        ), ',')
    )::pg_snapshot;
end;
$$;

revoke execute on function elt.loads_snapshot() from public;
