-- stg_events: every accepted lake event, typed and classified.
-- grain: one row per event; key: (load_id, line_no).
-- materialized: view
-- unique_key: load_id, line_no
-- not_null: load_id, line_no, event_at, event_date, event_name
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
-- column attributes: ATTRIBUTES, the JSON object as loaded (a key written twice keeps its last value)
with

raw_events as (
    select
        load_id,
        line_no,
        event
    from raw.raw_events
),

settings as (
    select reporting_time_zone
    from elt.settings
),

typed_events as (
    select
        raw_events.load_id,
        raw_events.line_no,
        (raw_events.event ->> 'TIMESTAMP')::timestamptz as event_at,
        raw_events.event ->> 'MD5(SESSION_ID)' as session_id,
        nullif(raw_events.event ->> 'MD5(USER_ID)', '') as user_id,
        raw_events.event ->> 'EVENT_NAME' as event_name,
        raw_events.event -> 'ATTRIBUTES' as attributes
    from raw_events
),

-- an attribute counts only when it is a non-empty JSON string (docs/contract.md)
final as (
    select
        typed_events.load_id,
        typed_events.line_no,
        typed_events.event_at,
        (typed_events.event_at at time zone settings.reporting_time_zone)::date as event_date,
        typed_events.session_id,
        typed_events.user_id,
        typed_events.event_name,
        typed_events.event_name in ('top_news_card_viewed', 'my_news_card_viewed') as is_display,
        typed_events.event_name = 'article_viewed' as is_click,
        case
            when jsonb_typeof(typed_events.attributes -> 'id') = 'string'
                then nullif(typed_events.attributes ->> 'id', '')
        end as article_id,
        case
            when jsonb_typeof(typed_events.attributes -> 'title') = 'string'
                then nullif(typed_events.attributes ->> 'title', '')
        end as title,
        case
            when jsonb_typeof(typed_events.attributes -> 'category') = 'string'
                then nullif(typed_events.attributes ->> 'category', '')
        end as category,
        typed_events.attributes
    from typed_events
    cross join settings
)

select * from final
