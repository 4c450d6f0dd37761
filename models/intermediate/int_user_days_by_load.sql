-- int_user_days_by_load: per lake load, each identified user's events, displays and clicks per day.
-- grain: one row per load, user and day; key: (load_id, user_id, event_date).
-- materialized: incremental
-- incremental_by: load_id
-- index: event_date
-- unique_key: load_id, user_id, event_date
-- column load_id: the load (raw.loads) whose events this row counts
-- column user_id: MD5(USER_ID) of the events (a non-empty value)
-- column event_date: the day of the events, in the reporting time zone (elt.settings)
-- column events: the user's events that day in this load, of any event name
-- column card_views: the user's displays that day in this load (with or without an article id)
-- column article_views: the user's clicks that day in this load (with or without an article id)
with

user_events as (
    select
        load_id,
        user_id,
        event_date,
        is_display,
        is_click
    from intermediate.int_events
    where user_id is not null
),

final as (
    select
        load_id,
        user_id,
        event_date,
        count(*) as events,
        count(*) filter (where is_display) as card_views,
        count(*) filter (where is_click) as article_views
    from user_events
    group by
        load_id,
        user_id,
        event_date
)

select * from final
