-- stg_web_events: the well-formed web events, typed: a user, an instant, a known action and a
-- parsed http(s) URL (the rules are in stg_web_events_checked; the others are in stg_quarantined_events).
-- event_at: the instant of the timestamp, whatever offset it was written with.
-- url_level_1, url_level_2: the first two path segments of the URL (NULL when the path is shorter).
-- grain: one row per well-formed event; key: (load_id, line_no).
-- materialized: view
-- unique_key: load_id, line_no
-- not_null: event_at, user_id, action, url, url_host
with

checked_events as (
    select
        load_id,
        line_no,
        event_at,
        user_id,
        session_id,
        action,
        url,
        url_host,
        url_level_1,
        url_level_2,
        reasons
    from staging.stg_web_events_checked
),

final as (
    select
        load_id,
        line_no,
        event_at,
        user_id,
        session_id,
        action,
        url,
        url_host,
        url_level_1,
        url_level_2
    from checked_events
    where cardinality(reasons) = 0
)

select * from final
