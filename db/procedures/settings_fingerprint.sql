-- elt.settings_fingerprint(): the settings the models depend on, as one comparable text.
-- An incremental model computed under other settings is recomputed in full.
create or replace function elt.settings_fingerprint() returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select s.reporting_time_zone || '|' || s.session_gap::text from elt.settings as s
$$;
