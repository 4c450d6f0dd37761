-- Stream sources (elt stream): each micro-batch of a message stream is one load in
-- raw.loads, status 'loaded', committed with its rows and rejects, so the incremental
-- models fold it in like a file. A batch names the stream it came from (stream_id: the
-- broker, the stream's name and its creation time, so a stream deleted and created again
-- starts from its first message) and the first and last stream sequence it holds. The
-- stream's position is the highest committed stream_last_seq: a consumer resumes from
-- there, whatever the broker's acknowledgements say. line_no is the stream sequence.
alter table raw.loads
    add column stream_id text,
    add column stream_first_seq bigint,
    add column stream_last_seq bigint;

alter table raw.loads add constraint loads_stream_batch_check check (
    (stream_id is null and stream_first_seq is null and stream_last_seq is null)
    or (stream_id is not null and stream_first_seq between 1 and stream_last_seq)
);

-- one loaded version per file URI; a stream has many loaded batches under its URI
drop index raw.loads_one_loaded_per_uri;
create unique index loads_one_loaded_per_uri on raw.loads (source_uri) where status = 'loaded' and stream_id is null;

-- a sequence is committed at most once per stream; the position is read from this index
create unique index loads_stream_position on raw.loads (stream_id, stream_last_seq) where stream_id is not null;
