-- user_activity_ranked: each user's interactions, ranked from the latest (activity_rank 1)
-- to the earliest. Interactions at the same instant are ranked by interaction_id in byte
-- order (collate "C"), so the ranking never depends on the database's collation.
-- grain: one row per interaction; key: interaction_id (and (user_id, activity_rank) is unique too).
-- materialized: materialized_view
-- unique_key: interaction_id
-- not_null: user_id, activity_rank, product_id, action, occurred_at
-- index: user_id, activity_rank
-- column user_id: the user who interacted
-- column activity_rank: 1 for the user's latest interaction, 2 for the one before, ...
-- column interaction_id: the interaction's natural key (deduplicated in int_interactions)
-- column product_id: the product interacted with
-- column action: view, add_to_cart, purchase or review
-- column occurred_at: when the interaction happened
with

interactions as (
    select
        interaction_id,
        user_id,
        product_id,
        action,
        occurred_at
    from intermediate.int_interactions
),

final as (
    select
        interactions.user_id,
        row_number() over (
            partition by interactions.user_id
            order by interactions.occurred_at desc, interactions.interaction_id collate "C"
        ) as activity_rank,
        interactions.interaction_id,
        interactions.product_id,
        interactions.action,
        interactions.occurred_at
    from interactions
)

select * from final
