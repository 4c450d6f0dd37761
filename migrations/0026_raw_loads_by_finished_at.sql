-- elt run finds the loads it made by when they finished (transform/changed-keys.ts,
-- loadsFinishedSince: `finished_at >= <the run's start>`), to test what they changed:
-- an index lookup, not a read of the whole ledger at every run.
create index loads_by_finished_at on raw.loads (finished_at);
