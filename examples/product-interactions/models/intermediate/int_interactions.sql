-- int_interactions: each product interaction once, as its latest delivery says.
-- the same interaction_id re-sent in a later file: the copy of the latest load wins
-- (greatest load_id), and within one file the last record (greatest line_no). Only valid
-- records compete (staging's is_valid), so a re-send with a broken timestamp cannot erase
-- the good copy delivered before. deliveries: how many valid copies arrived.
-- A materialized view, not an incremental table by load: a later load can replace a row
-- that an earlier load produced, which per-load partials cannot express.
-- grain: one row per interaction; key: interaction_id.
-- materialized: materialized_view
-- unique_key: interaction_id
-- not_null: interaction_id, user_id, product_id, action, occurred_at, load_id, line_no, deliveries
-- index: occurred_at
-- index: user_id, occurred_at
-- column interaction_id: the interaction's natural key (the CSV's interaction_id)
-- column user_id: the user who interacted, as the latest valid delivery says
-- column product_id: the product interacted with, as the latest valid delivery says
-- column action: view, add_to_cart, purchase or review, as the latest valid delivery says
-- column occurred_at: when the interaction happened, as the latest valid delivery says
-- column load_id: the load (raw.loads) of the latest valid delivery: the greatest load_id among the valid copies
-- column line_no: the line of that delivery in its file (the last valid copy within that load)
-- column deliveries: how many valid copies of the interaction arrived, over all loads
with

staged_interactions as (
    select
        load_id,
        line_no,
        interaction_id,
        user_id,
        product_id,
        action,
        occurred_at,
        is_valid
    from staging.stg_interactions
),

valid_interactions as (
    select
        load_id,
        line_no,
        interaction_id,
        user_id,
        product_id,
        action,
        occurred_at
    from staged_interactions
    where is_valid
),

ranked_deliveries as (
    select
        valid_interactions.load_id,
        valid_interactions.line_no,
        valid_interactions.interaction_id,
        valid_interactions.user_id,
        valid_interactions.product_id,
        valid_interactions.action,
        valid_interactions.occurred_at,
        row_number() over (
            partition by valid_interactions.interaction_id
            order by valid_interactions.load_id desc, valid_interactions.line_no desc
        ) as delivery_rank,
        count(*) over (partition by valid_interactions.interaction_id) as deliveries
    from valid_interactions
),

final as (
    select
        ranked_deliveries.interaction_id,
        ranked_deliveries.user_id,
        ranked_deliveries.product_id,
        ranked_deliveries.action,
        ranked_deliveries.occurred_at,
        ranked_deliveries.load_id,
        ranked_deliveries.line_no,
        ranked_deliveries.deliveries
    from ranked_deliveries
    where ranked_deliveries.delivery_rank = 1
)

select * from final
