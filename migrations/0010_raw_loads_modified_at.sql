-- When the loaded file was last modified (local files): an object whose size and
-- modification time match its loaded version is skipped without reading it again;
-- otherwise its content checksum decides.
alter table raw.loads add column modified_at timestamptz;
