-- product_monthly_summary: per product and calendar month, how many interactions, by how
-- many distinct users, and how many of each action. month: the first day of the month the
-- interaction falls in, in the reporting time zone (elt.settings; UTC unless the project sets
-- another), so an interaction at 2024-03-31T21:30:00-05:00 counts in April under UTC.
-- grain: one row per product and month with an interaction; key: (product_id, month).
-- materialized: materialized_view
-- unique_key: product_id, month
-- not_null: interactions, distinct_users, views, add_to_carts, purchases, reviews
-- column product_id: the product interacted with
-- column month: the first day of the month of the interactions (reporting time zone)
-- column interactions: valid interactions with the product that month, all actions
-- column distinct_users: how many distinct users those interactions came from
-- column views: interactions whose action is view
-- column add_to_carts: interactions whose action is add_to_cart
-- column purchases: interactions whose action is purchase
-- column reviews: interactions whose action is review
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

settings as (
    select reporting_time_zone
    from elt.settings
),

dated_interactions as (
    select
        interactions.interaction_id,
        interactions.user_id,
        interactions.product_id,
        interactions.action,
        date_trunc('month', interactions.occurred_at at time zone settings.reporting_time_zone)::date as month
    from interactions
    cross join settings
),

final as (
    select
        product_id,
        month,
        count(*)::bigint as interactions,
        count(distinct user_id)::bigint as distinct_users,
        count(*) filter (where action = 'view')::bigint as views,
        count(*) filter (where action = 'add_to_cart')::bigint as add_to_carts,
        count(*) filter (where action = 'purchase')::bigint as purchases,
        count(*) filter (where action = 'review')::bigint as reviews
    from dated_interactions
    group by
        product_id,
        month
)

select * from final
