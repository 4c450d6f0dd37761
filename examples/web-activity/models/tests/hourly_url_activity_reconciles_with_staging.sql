-- test: every well-formed event in staging is counted once in its hour, first path level and action,
-- with its distinct users; a mismatch also means the mart is stale (events arrived after its last refresh)
-- model: marts.hourly_url_activity
-- returns: one row per (hour, url_level_1, action) whose counts differ between staging and the mart
with

-- recomputed independently of the mart's SQL: the UTC wall clock, truncated, read back as UTC
staging_events as (
    select
        date_trunc('hour', event_at at time zone 'UTC') at time zone 'UTC' as event_hour,
        coalesce(url_level_1, '/') as section,
        action,
        user_id
    from staging.stg_web_events
),

staging_counts as (
    select
        event_hour as hour,
        section as url_level_1,
        action,
        count(*) as activity_count,
        count(distinct user_id) as unique_users
    from staging_events
    group by
        event_hour,
        section,
        action
),

mart_counts as (
    select
        hour,
        url_level_1,
        action,
        activity_count,
        unique_users
    from marts.hourly_url_activity
),

compared as (
    select
        coalesce(staging_counts.hour, mart_counts.hour) as hour,
        coalesce(staging_counts.url_level_1, mart_counts.url_level_1) as url_level_1,
        coalesce(staging_counts.action, mart_counts.action) as action,
        staging_counts.activity_count as staging_activity_count,
        mart_counts.activity_count as mart_activity_count,
        staging_counts.unique_users as staging_unique_users,
        mart_counts.unique_users as mart_unique_users
    from staging_counts
    full join mart_counts
        on staging_counts.hour = mart_counts.hour
        and staging_counts.url_level_1 = mart_counts.url_level_1
        and staging_counts.action = mart_counts.action
)

select *
from compared
where staging_activity_count is distinct from mart_activity_count
    or staging_unique_users is distinct from mart_unique_users
