-- hourly_url_activity: page activity per hour, site section (first URL path level) and action.
-- hour: the start of the UTC hour the event happened in, read from its instant whatever offset
-- its timestamp carries, so late and out-of-order events land in their own hour.
-- url_level_1: the first path segment of the URL, '/' for the site root (a URL with no path segment).
-- activity_count: well-formed events (stg_web_events); unique_users: distinct user ids among them.
-- grain: one row per UTC hour, URL first path level and action with an event; key: (hour, url_level_1, action).
-- materialized: materialized_view
-- unique_key: hour, url_level_1, action
-- not_null: activity_count, unique_users
-- column hour: the start of the UTC hour the events happened in
-- column url_level_1: the first path segment of the URL ('/' for the site root)
-- column action: the event's action
-- column activity_count: well-formed events in that hour, section and action
-- column unique_users: distinct user ids among them
with

web_events as (
    select
        event_at,
        url_level_1,
        action,
        user_id
    from staging.stg_web_events
),

events_by_hour as (
    select
        date_trunc('hour', event_at, 'UTC') as hour,
        coalesce(url_level_1, '/') as url_level_1,
        action,
        user_id
    from web_events
),

final as (
    select
        hour,
        url_level_1,
        action,
        count(*) as activity_count,
        count(distinct user_id) as unique_users
    from events_by_hour
    group by
        hour,
        url_level_1,
        action
)

select * from final
