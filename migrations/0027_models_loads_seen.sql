-- The loads a by-load incremental model's last fold could see, so that "anything new?"
-- (transform/pending-changes.ts) reads the loads finished since then by index, not every
-- folded load against the whole ledger (a cost that grew with history, issue 26).
-- loads_snapshot: a snapshot taken before the fold read raw.loads (pg_current_snapshot()),
-- loads_as_of: the start of the fold's transaction. A load the fold did not see either
-- committed in a transaction in progress at that snapshot (in its xip list) or finished
-- after loads_as_of (db/procedures/apply_increments.sql). NULL: not known (folded before
-- this migration): the check compares every load, as before.
alter table elt.models
    add column loads_snapshot pg_snapshot,
    add column loads_as_of timestamptz;
