-- stg_web_events_checked: every web event document the loader stored, its fields read and
-- checked once. stg_web_events keeps the documents without a problem, stg_quarantined_events
-- the others, so both read the same rules. A document may break several rules; reasons
-- lists each one it breaks, in this order:
--   missing user_id                  user_id is not a non-empty JSON string
--   missing or unparsable timestamp  timestamp is not a JSON string holding a date, a time of day
--                                    and a UTC offset (YYYY-MM-DD, T or space, HH:MM:SS, an optional
--                                    fraction, Z, +HH, +HHMM or +HH:MM) that Postgres reads as timestamptz
--   missing or unparsable url        url is not a JSON string holding an absolute http(s) URL with a host
--   missing or unknown action        action is not one of view, click, add_to_cart, purchase
-- session_id is optional: NULL unless a non-empty JSON string. Other keys are ignored.
-- url_level_1, url_level_2: the first two non-empty segments of the URL path (query and fragment
-- left out, kept as written, NULL when the path is shorter); url_host in lower case.
-- grain: one row per raw event document; key: (load_id, line_no).
-- materialized: view
-- unique_key: load_id, line_no
-- not_null: event, reasons
-- column load_id: the load (raw.loads) that stored the document: one attempt to load one NDJSON file
-- column line_no: the document's line in that file, from 1
-- column event_at: the instant of the timestamp field, whatever its offset; NULL when missing or unparsable
-- column user_id: the document's user_id when it is a non-empty JSON string, else NULL
-- column session_id: the document's session_id when it is a non-empty JSON string, else NULL
-- column action: the document's action when it is one of view, click, add_to_cart, purchase (case-sensitive), else NULL
-- column url: the document's url when it is an absolute http(s) URL with a host, as written, else NULL
-- column url_host: the URL's host, in lower case; NULL without a valid url
-- column url_level_1: the first non-empty segment of the URL's path, as written; NULL when there is none
-- column url_level_2: the second non-empty segment of the URL's path, as written; NULL when there is none
-- column reasons: the rules the document breaks, in the order above; empty when it is well-formed
-- column event: the document as loaded (raw.raw_events.event)
with

raw_events as (
    select
        load_id,
        line_no,
        event
    from raw.raw_events
),

-- a field counts only as a JSON string (a number, object or null is not one)
event_fields as (
    select
        load_id,
        line_no,
        event,
        case
            when jsonb_typeof(event -> 'user_id') = 'string' then nullif(event ->> 'user_id', '')
        end as user_id,
        case
            when jsonb_typeof(event -> 'session_id') = 'string' then nullif(event ->> 'session_id', '')
        end as session_id,
        case
            when jsonb_typeof(event -> 'timestamp') = 'string' then event ->> 'timestamp'
        end as timestamp_text,
        case
            when jsonb_typeof(event -> 'url') = 'string' then event ->> 'url'
        end as url,
        case
            when jsonb_typeof(event -> 'action') = 'string' then event ->> 'action'
        end as action_text
    from raw_events
),

-- the regex asks for a date, a time and an offset ('yesterday' or a date alone would pass
-- elt.is_timestamptz); elt.is_timestamptz then refuses impossible dates such as Feb 30
checked_fields as (
    select
        load_id,
        line_no,
        event,
        user_id,
        session_id,
        timestamp_text,
        coalesce(
            timestamp_text
            ~ '^\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})? ?(Z|[+-]\d{2}(:?\d{2})?)$'
            and elt.is_timestamptz(timestamp_text),
            false
        ) as has_valid_timestamp,
        url,
        -- scheme, optional user info, host, optional port, path, optional query and fragment
        regexp_match(
            url,
            '^(https?)://(?:[^/?#@\s]*@)?([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::\d{1,5})?'
            || '(/[^?#\s]*)?(?:\?[^#\s]*)?(?:#\S*)?$',
            'i'
        ) as url_parts,
        action_text,
        coalesce(action_text in ('view', 'click', 'add_to_cart', 'purchase'), false) as has_known_action
    from event_fields
),

-- the first two path segments; runs of slashes count as one
url_levels as (
    select
        load_id,
        line_no,
        event,
        user_id,
        session_id,
        timestamp_text,
        has_valid_timestamp,
        url,
        url_parts,
        regexp_match(url_parts[3], '^/+([^/]+)(?:/+([^/]+))?') as path_levels,
        action_text,
        has_known_action
    from checked_fields
),

final as (
    select
        load_id,
        line_no,
        -- the cast only runs on text checked above: a bad timestamp never raises an error
        case when has_valid_timestamp then timestamp_text::timestamptz end as event_at,
        user_id,
        session_id,
        case when has_known_action then action_text end as action,
        case when url_parts is not null then url end as url,
        lower(url_parts[2]) as url_host,
        path_levels[1] as url_level_1,
        path_levels[2] as url_level_2,
        array_remove(
            array[
                case when user_id is null then 'missing user_id' end,
                case when not has_valid_timestamp then 'missing or unparsable timestamp' end,
                case when url_parts is null then 'missing or unparsable url' end,
                case when not has_known_action then 'missing or unknown action' end
            ],
            null
        ) as reasons,
        event
    from url_levels
)

select * from final
