-- test: the ranking holds every interaction of int_interactions exactly once, with the same
-- user, product, action and time (a mismatch also means a stale mart: refresh it)
-- model: marts.user_activity_ranked
-- returns: the interactions missing on one side or differing
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

ranked as (
    select
        interaction_id,
        user_id,
        product_id,
        action,
        occurred_at
    from marts.user_activity_ranked
),

compared as (
    select
        coalesce(interactions.interaction_id, ranked.interaction_id) as interaction_id,
        interactions.interaction_id is not null as in_interactions,
        ranked.interaction_id is not null as in_ranking,
        (interactions.user_id, interactions.product_id, interactions.action, interactions.occurred_at)
            is not distinct from (ranked.user_id, ranked.product_id, ranked.action, ranked.occurred_at) as same_values
    from interactions
    full join ranked on ranked.interaction_id = interactions.interaction_id
)

select *
from compared
where not (in_interactions and in_ranking and same_values)
