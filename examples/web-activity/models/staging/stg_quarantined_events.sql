-- stg_quarantined_events: the web events kept out of stg_web_events, each with why: the raw
-- document as loaded, where it came from, and every rule it breaks (stg_web_events_checked),
-- joined with '; ' in a fixed order, e.g. 'missing user_id; missing or unknown action'.
-- Lines that are not a JSON object never get here: the loader rejects them into raw.rejected_rows.
-- grain: one row per malformed event; key: (load_id, line_no).
-- materialized: view
-- unique_key: load_id, line_no
-- not_null: reason, event
-- column load_id: the load (raw.loads) that stored the event: one attempt to load one NDJSON file
-- column line_no: the event's line in that file, from 1
-- column source_uri: the URI of the file the event came from (raw.loads.source_uri)
-- column reason: every rule the event breaks, joined with '; ' in the order of stg_web_events_checked
-- column event: the document as loaded (raw.raw_events.event)
with

checked_events as (
    select
        load_id,
        line_no,
        reasons,
        event
    from staging.stg_web_events_checked
),

loads as (
    select
        load_id,
        source_uri
    from raw.loads
),

final as (
    select
        checked_events.load_id,
        checked_events.line_no,
        loads.source_uri,
        array_to_string(checked_events.reasons, '; ') as reason,
        checked_events.event
    from checked_events
    left join loads
        on checked_events.load_id = loads.load_id
    where cardinality(checked_events.reasons) > 0
)

select * from final
