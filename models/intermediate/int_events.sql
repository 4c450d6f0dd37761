-- int_events: the typed events, parsed from their JSON once per load and kept as a
-- table, so the daily aggregates and the sessions read columns instead of parsing
-- every event's JSON again (stg_events re-parses on every read).
-- grain: one row per event; key: (load_id, line_no).
-- materialized: incremental
-- incremental_by: load_id
-- unique_key: load_id, line_no
-- not_null: load_id, line_no, event_at, event_date, event_name
-- index: session_id, user_id, event_at
-- index: load_id, event_at
-- column load_id: the load (raw.loads) that stored the event: one attempt to load one lake object
-- column line_no: the event's line in that object, from 1 (header and blank lines count); for a stream batch,
--     the message's stream sequence
-- column event_at: the event's instant: the point in time TIMESTAMP denotes, to the microsecond
-- column event_date: the event's day: the date of event_at in the reporting time zone (elt.settings)
-- column session_id: MD5(SESSION_ID), as written (an empty one is a value like any other)
-- column user_id: MD5(USER_ID); NULL for an unidentified user (an empty value)
-- column event_name: EVENT_NAME, as written (compared case-sensitively)
-- column is_display: the event is a display (a card view): event_name is top_news_card_viewed or my_news_card_viewed
-- column is_click: the event is a click (an article view): event_name is article_viewed
-- column article_id: the article id: ATTRIBUTES.id when it is a non-empty JSON string, else NULL
-- column title: ATTRIBUTES.title when it is a non-empty JSON string, else NULL
-- column category: ATTRIBUTES.category when it is a non-empty JSON string, else NULL
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
