-- int_events: the typed events, parsed from their JSON once per load and kept as a
-- table, so the daily aggregates and the sessions read columns instead of parsing
-- every event's JSON again (stg_events re-parses on every read).
-- grain: one row per event; key: (load_id, line_no).
-- materialized: incremental
-- incremental_by: load_id
-- unique_key: load_id, line_no
-- not_null: load_id, line_no, event_at, event_date, event_name
-- index: session_id, user_id, event_at
with

events as (
    select
        load_id,
        line_no,
        event_at,
        event_date,
        session_id,
        user_id,
        event_name,
        is_display,
        is_click,
        article_id,
        title,
        category
    from staging.stg_events
),

final as (
    select
        events.load_id,
        events.line_no,
        events.event_at,
        events.event_date,
        events.session_id,
        events.user_id,
        events.event_name,
        events.is_display,
        events.is_click,
        events.article_id,
        events.title,
        events.category
    from events
)

select * from final
