-- test: every raw event document is either a well-formed event or quarantined with a reason, never both, never neither
-- model: staging.stg_web_events, staging.stg_quarantined_events
-- returns: the raw events found in neither view or in both, or quarantined without a reason
with

raw_events as (
    select
        load_id,
        line_no
    from raw.raw_events
),

web_events as (
    select
        load_id,
        line_no
    from staging.stg_web_events
),

quarantined_events as (
    select
        load_id,
        line_no,
        reason
    from staging.stg_quarantined_events
),

placed as (
    select
        raw_events.load_id,
        raw_events.line_no,
        web_events.line_no is not null as is_web_event,
        quarantined_events.line_no is not null as is_quarantined,
        quarantined_events.reason
    from raw_events
    left join web_events
        on raw_events.load_id = web_events.load_id
        and raw_events.line_no = web_events.line_no
    left join quarantined_events
        on raw_events.load_id = quarantined_events.load_id
        and raw_events.line_no = quarantined_events.line_no
)

select *
from placed
where is_web_event = is_quarantined
    or (is_quarantined and coalesce(reason, '') = '')
