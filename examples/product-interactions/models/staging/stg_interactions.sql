-- stg_interactions: every accepted CSV record of the product interaction files, typed.
-- the loader stores a record as a JSON object keyed by the CSV header, every value a string
-- ("" for an empty field): {"interaction_id", "user_id", "product_id", "action", "timestamp"}.
-- occurred_at is parsed only when the text is an ISO 8601 timestamp with an offset that
-- Postgres accepts (elt.is_timestamptz: a bad row never makes the view fail), else NULL; a
-- text without offset is refused too, since it would depend on the session's time zone.
-- invalid_reason says why a record cannot be used (NULL when it can: is_valid).
-- grain: one row per accepted CSV record; key: (load_id, line_no).
-- materialized: view
-- unique_key: load_id, line_no
-- not_null: load_id, line_no, is_valid
-- column load_id: the load (raw.loads) that stored the record: one attempt to load one CSV file
-- column line_no: the line of its file the record starts on, from 1 (the header counts)
-- column interaction_id: the interaction_id field, trimmed; NULL when empty
-- column user_id: the user_id field, trimmed; NULL when empty
-- column product_id: the product_id field, trimmed; NULL when empty
-- column action: the action field, trimmed and in lower case; NULL when empty (it may be an unknown action)
-- column timestamp_text: the timestamp field, trimmed, as written
-- column occurred_at: the instant timestamp_text denotes when it is ISO 8601 with an offset (see above), else NULL
-- column is_valid: the record can be used: invalid_reason is NULL
-- column invalid_reason: the first rule the record breaks ('missing user_id', 'unknown action', ...); NULL when valid
with

raw_events as (
    select
        load_id,
        line_no,
        event
    from raw.raw_events
),

fields as (
    select
        raw_events.load_id,
        raw_events.line_no,
        nullif(btrim(raw_events.event ->> 'interaction_id'), '') as interaction_id,
        nullif(btrim(raw_events.event ->> 'user_id'), '') as user_id,
        nullif(btrim(raw_events.event ->> 'product_id'), '') as product_id,
        nullif(lower(btrim(raw_events.event ->> 'action')), '') as action,
        btrim(raw_events.event ->> 'timestamp') as timestamp_text
    from raw_events
),

typed_interactions as (
    select
        fields.load_id,
        fields.line_no,
        fields.interaction_id,
        fields.user_id,
        fields.product_id,
        fields.action,
        fields.timestamp_text,
        case
            when fields.timestamp_text ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)$'
                and elt.is_timestamptz(fields.timestamp_text)
                then fields.timestamp_text::timestamptz
        end as occurred_at
    from fields
),

checked_interactions as (
    select
        typed_interactions.load_id,
        typed_interactions.line_no,
        typed_interactions.interaction_id,
        typed_interactions.user_id,
        typed_interactions.product_id,
        typed_interactions.action,
        typed_interactions.timestamp_text,
        typed_interactions.occurred_at,
        case
            when typed_interactions.interaction_id is null then 'missing interaction_id'
            when typed_interactions.user_id is null then 'missing user_id'
            when typed_interactions.product_id is null then 'missing product_id'
            when typed_interactions.action is null then 'missing action'
            when typed_interactions.action not in ('view', 'add_to_cart', 'purchase', 'review')
                then 'unknown action'
            when coalesce(typed_interactions.timestamp_text, '') = '' then 'missing timestamp'
            when typed_interactions.occurred_at is null then 'invalid timestamp'
        end as invalid_reason
    from typed_interactions
),

final as (
    select
        checked_interactions.load_id,
        checked_interactions.line_no,
        checked_interactions.interaction_id,
        checked_interactions.user_id,
        checked_interactions.product_id,
        checked_interactions.action,
        checked_interactions.timestamp_text,
        checked_interactions.occurred_at,
        checked_interactions.invalid_reason is null as is_valid,
        checked_interactions.invalid_reason
    from checked_interactions
)

select * from final
