-- stg_web_events: the well-formed web events, typed: a user, an instant, a known action and a
-- parsed http(s) URL (the rules are in stg_web_events_checked; the others are in stg_quarantined_events).
-- event_at: the instant of the timestamp, whatever offset it was written with.
-- url_level_1, url_level_2: the first two path segments of the URL (NULL when the path is shorter).
-- grain: one row per well-formed event; key: (load_id, line_no).
-- materialized: view
-- unique_key: load_id, line_no
-- not_null: event_at, user_id, action, url, url_host
-- column load_id: the load (raw.loads) that stored the event: one attempt to load one NDJSON file
-- column line_no: the event's line in that file, from 1
-- column event_at: the instant of the event's timestamp, whatever offset it was written with
-- column user_id: the user who acted (user_id, a non-empty string)
-- column session_id: the event's session_id; NULL when it has none (it is optional)
-- column action: view, click, add_to_cart or purchase
-- column url: the page's URL, as written (an absolute http(s) URL with a host)
-- column url_host: the URL's host, in lower case
-- column url_level_1: the first non-empty segment of the URL's path, as written; NULL when there is none
-- column url_level_2: the second non-empty segment of the URL's path, as written; NULL when there is none
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
