-- int_session_events: the few columns sessions need, of every event of an identified
-- user, kept as a table so sessions can be recomputed for a few session ids at a time.
-- grain: one row per event of an identified user; key: (load_id, line_no).
-- materialized: incremental
-- incremental_by: load_id
-- unique_key: load_id, line_no
-- index: session_id, user_id, event_at
with

events as (
    select
        load_id,
        line_no,
        user_id,
        session_id,
        event_at
    from staging.stg_events
    where user_id is not null
),

final as (
    select
        events.load_id,
        events.line_no,
        events.user_id,
        events.session_id,
        events.event_at
    from events
)

select * from final
