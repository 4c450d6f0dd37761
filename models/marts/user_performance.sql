-- user_performance: sessions, average session length, displays, clicks and CTR per user and day.
-- sessions counts the sessions that start that day (int_sessions); a day with
-- events but no session start has 0 sessions and a NULL average.
-- grain: one row per identified user and day with an event; key: (user_id, date).
-- materialized: materialized_view
-- unique_key: user_id, date
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

daily_events as (
    select
        user_id,
        event_date as date,
        sum(card_views)::bigint as card_views,
        sum(article_views)::bigint as article_views
    from user_days_by_load
    group by
        user_id,
        event_date
),

daily_sessions as (
    select
        user_id,
        session_date as date,
        count(*) as sessions,
        avg(length_seconds) as avg_session_length_seconds
    from user_sessions
    group by
        user_id,
        session_date
),

final as (
    select
        daily_events.user_id,
        daily_events.date,
        coalesce(daily_sessions.sessions, 0) as sessions,
        daily_sessions.avg_session_length_seconds,
        daily_events.card_views,
        daily_events.article_views,
        daily_events.article_views::numeric / nullif(daily_events.card_views, 0) as ctr
    from daily_events
    left join daily_sessions
        on daily_events.user_id = daily_sessions.user_id
        and daily_events.date = daily_sessions.date
)

select * from final
