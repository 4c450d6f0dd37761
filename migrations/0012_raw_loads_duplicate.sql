-- A lake object whose content is already loaded under another URI (a copy or a
-- symlink of a day's file) is not loaded a second time: its attempt is recorded
-- as 'duplicate', naming the load it duplicates (elt load --allow-duplicates
-- loads it anyway). The index finds the loaded object of a content id.
alter table raw.loads drop constraint loads_status_check;

alter table raw.loads add constraint loads_status_check
    check (status in ('loading', 'loaded', 'replaced', 'failed', 'abandoned', 'duplicate'));

alter table raw.loads add column duplicate_of bigint references raw.loads (load_id);

create index loads_loaded_by_content on raw.loads (content_id) where status = 'loaded';
