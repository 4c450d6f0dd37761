-- user_performance: sessions, average session length, displays, clicks and CTR per user and day.
-- sessions counts the sessions that start that day (int_sessions); a day with
-- events but no session start has 0 sessions and a NULL average.
-- grain: one row per identified user and day with an event; key: (user_id, date).
-- materialized: incremental
-- incremental_by: date
-- incremental_from: intermediate.int_user_days_by_load (event_date), intermediate.int_sessions (session_date)
-- unique_key: user_id, date
-- index: date
-- not_null: user_id, date, sessions, card_views, article_views
-- column user_id: MD5(USER_ID) of the events (a non-empty value)
-- column date: the day of the events, in the reporting time zone (elt.settings)
-- column sessions: the sessions of the user that start that day (sessions are split in
--     intermediate.int_sessions, counted here)
-- column avg_session_length_seconds: the mean length of those sessions; NULL when sessions is 0
-- column card_views: the user's displays that day, with or without an article id (counted per load
--     in intermediate.int_user_days_by_load, added up here)
-- column article_views: the user's clicks that day (with or without an article id)
-- column ctr: article_views / card_views; NULL without displays
-- expect ctr_matches_counts:
--     case when card_views <> 0 then article_views::numeric / card_views end is not distinct from ctr
with

user_days_by_load as (
    select
        user_id,
        event_date,
        card_views,
        article_views
    from intermediate.int_user_days_by_load
),

user_sessions as (
    select
        user_id,
        session_date,
        length_seconds
    from intermediate.int_sessions
),

-- the day's events and the sessions that start that day, stacked and grouped by user and
-- day in one step, so that a filter on date reaches both inputs (an incremental refresh
-- recomputes only the days its loads touched)
user_day_parts as (
    select
        user_id,
        event_date as date,
        card_views,
        article_views,
        false as is_session,
        null::numeric as length_seconds
    from user_days_by_load
    union all
    select
        user_id,
        session_date as date,
        null as card_views,
        null as article_views,
        true as is_session,
        length_seconds
    from user_sessions
),

user_days as (
    select
        user_id,
        date,
        count(*) filter (where is_session) as sessions,
        avg(length_seconds) as avg_session_length_seconds,
        sum(card_views)::bigint as card_views,
        sum(article_views)::bigint as article_views,
        bool_or(not is_session) as has_events
    from user_day_parts
    group by
        user_id,
        date
),

final as (
    select
        user_id,
        date,
        sessions,
        avg_session_length_seconds,
        card_views,
        article_views,
        article_views::numeric / nullif(card_views, 0) as ctr
    from user_days
    where has_events
)

select * from final
