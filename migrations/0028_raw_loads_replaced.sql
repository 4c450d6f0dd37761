-- "Anything new?" (elt.has_pending_changes(), db/procedures/has_pending_changes.sql) asks
-- whether a model still holds a load that is no longer loaded. Only a replaced load can be
-- one (a load is folded only once loaded, and a loaded load only ever becomes replaced):
-- the replaced loads, by index, each looked up in elt.folded_loads by its key, not every
-- folded load against the whole ledger.
create index loads_replaced on raw.loads (load_id) where status = 'replaced';
