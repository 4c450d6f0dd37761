-- test: over all months, each product's interactions and actions in the summary equal its
-- rows in int_interactions: every interaction is counted once, in one month
-- (a mismatch also means a stale mart: refresh it)
-- model: marts.product_monthly_summary
-- returns: the products whose totals differ
with

summary_totals as (
    select
        product_id,
        sum(interactions) as interactions,
        sum(views) as views,
        sum(add_to_carts) as add_to_carts,
        sum(purchases) as purchases,
        sum(reviews) as reviews
    from marts.product_monthly_summary
    group by product_id
),

interaction_totals as (
    select
        product_id,
        count(*) as interactions,
        count(*) filter (where action = 'view') as views,
        count(*) filter (where action = 'add_to_cart') as add_to_carts,
        count(*) filter (where action = 'purchase') as purchases,
        count(*) filter (where action = 'review') as reviews
    from intermediate.int_interactions
    group by product_id
),

compared as (
    select
        coalesce(summary_totals.product_id, interaction_totals.product_id) as product_id,
        summary_totals.interactions as summary_interactions,
        interaction_totals.interactions as interaction_rows,
        summary_totals.purchases as summary_purchases,
        interaction_totals.purchases as interaction_purchases,
        (summary_totals.views, summary_totals.add_to_carts, summary_totals.purchases, summary_totals.reviews)
            is not distinct from (
                interaction_totals.views,
                interaction_totals.add_to_carts,
                interaction_totals.purchases,
                interaction_totals.reviews
            ) as same_actions
    from summary_totals
    full join interaction_totals on interaction_totals.product_id = summary_totals.product_id
)

select *
from compared
where summary_interactions is distinct from interaction_rows
    or not same_actions
