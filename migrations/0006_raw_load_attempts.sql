-- A load is recorded as an attempt before its data transaction starts, so a
-- process killed mid-load leaves its ledger row behind as 'loading' (its rows
-- were rolled back with the transaction). backend_pid names the session that
-- made the attempt: a later attempt marks a 'loading' row whose session is gone
-- as 'abandoned'. 'failed' rows keep the error.
alter table raw.loads drop constraint loads_status_check;

alter table raw.loads add constraint loads_status_check
    check (status in ('loading', 'loaded', 'replaced', 'failed', 'abandoned'));

alter table raw.loads add column backend_pid integer;
