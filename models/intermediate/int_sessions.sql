-- int_sessions: sessions of identified users. A user's events with the same
-- MD5(SESSION_ID), in time order, start a new session wherever the gap to the
-- previous event exceeds elt.settings.session_gap (default 30 minutes).
-- A session belongs to the reporting day of its first event.
-- Incremental: a refresh recomputes only the session ids that new (or replaced)
-- loads carry, since a late event can merge or split a session of any day.
-- grain: one row per session; key: (user_id, session_id, session_number).
-- materialized: incremental
-- incremental_by: session_id
-- incremental_from: intermediate.int_events
-- unique_key: user_id, session_id, session_number
-- not_null: user_id, session_id, session_number, started_at, ended_at, session_date, length_seconds
-- index: user_id, session_date
-- index: session_id
-- index: session_date
-- column user_id: MD5(USER_ID) of the session's events (a non-empty value: unidentified users form no session)
-- column session_id: MD5(SESSION_ID) of the session's events, as written
-- column session_number: 1 for the first session of this (user_id, session_id) pair, 2 for the next, ... in time order
-- column started_at: the instant of the session's first event
-- column ended_at: the instant of the session's last event
-- column session_date: the session's day: the date of started_at in the reporting time zone (elt.settings)
-- column length_seconds: ended_at - started_at in seconds, to the microsecond (0 for a session of one event)
-- column event_count: the session's events (of any event name)
with

events as (
    select
        user_id,
        session_id,
        event_at
    from intermediate.int_events
    where user_id is not null
),

settings as (
    select
        reporting_time_zone,
        session_gap
    from elt.settings
),

events_with_gaps as (
    select
        events.user_id,
        events.session_id,
        events.event_at,
        events.event_at - lag(events.event_at) over (
            partition by events.user_id, events.session_id
            order by events.event_at
        ) as gap_to_previous
    from events
),

session_starts as (
    select
        events_with_gaps.user_id,
        events_with_gaps.session_id,
        events_with_gaps.event_at,
        case
            when events_with_gaps.gap_to_previous is null then 1
            when events_with_gaps.gap_to_previous > settings.session_gap then 1
            else 0
        end as is_session_start
    from events_with_gaps
    cross join settings
),

numbered_events as (
    select
        session_starts.user_id,
        session_starts.session_id,
        session_starts.event_at,
        sum(session_starts.is_session_start) over (
            partition by session_starts.user_id, session_starts.session_id
            order by session_starts.event_at
            rows between unbounded preceding and current row
        ) as session_number
    from session_starts
),

sessions as (
    select
        numbered_events.user_id,
        numbered_events.session_id,
        numbered_events.session_number,
        min(numbered_events.event_at) as started_at,
        max(numbered_events.event_at) as ended_at,
        count(*) as event_count
    from numbered_events
    group by
        numbered_events.user_id,
        numbered_events.session_id,
        numbered_events.session_number
),

final as (
    select
        sessions.user_id,
        sessions.session_id,
        sessions.session_number::integer as session_number,
        sessions.started_at,
        sessions.ended_at,
        (sessions.started_at at time zone settings.reporting_time_zone)::date as session_date,
        extract(epoch from sessions.ended_at - sessions.started_at) as length_seconds,
        sessions.event_count
    from sessions
    cross join settings
)

select * from final
