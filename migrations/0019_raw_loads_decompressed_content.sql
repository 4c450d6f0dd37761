-- An object's content id is now the sha256 of its decompressed bytes, for local files and
-- S3 objects alike: a day's .tsv.gz is the same content as its .tsv (a duplicate of it,
-- counted once). source_version keeps what the source says of a version when listing it
-- (S3: etag:<etag>:<size>): an object of the same version as its loaded one is unchanged
-- without being read (as same size and modification time are for a local file).
alter table raw.loads add column source_version text;

-- Ids of the former kinds can equal no new id: a .gz file's was the hash of its compressed
-- bytes (marked here as sha256-gz:), an S3 object's its ETag and size (etag:...). The
-- loader never takes a load with such an id as unchanged: at the next run it reads the
-- object once more, and either loads it again in place (its new rows replace its own old
-- ones: nothing doubles) or, when its content is loaded under another name, records it a
-- duplicate of that load (and takes its own rows out).
update raw.loads
   set content_id = 'sha256-gz:' || substr(content_id, length('sha256:') + 1)
 where source_uri ~* '\.gz$'
   and content_id like 'sha256:%';
