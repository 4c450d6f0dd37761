-- latest_interaction_per_user: each user's most recent interaction (activity_rank 1 in
-- marts.user_activity_ranked: the latest occurred_at; at the same instant, the smallest
-- interaction_id in byte order). Served by the mart's (user_id, activity_rank) index.
-- grain: one row per user.
with

ranked_activity as (
    select
        user_id,
        activity_rank,
        interaction_id,
        product_id,
        action,
        occurred_at
    from marts.user_activity_ranked
),

final as (
    select
        user_id,
        interaction_id,
        product_id,
        action,
        occurred_at
    from ranked_activity
    where activity_rank = 1
)

select * from final
order by user_id
