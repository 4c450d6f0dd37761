-- stg_events: every accepted lake event, typed and classified.
-- grain: one row per event; key: (load_id, line_no).
-- materialized: view
-- unique_key: load_id, line_no
-- not_null: load_id, line_no, event_at, event_date, event_name
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
