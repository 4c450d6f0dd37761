-- view_to_purchase_conversion: per product, the share of its viewers who went on to buy it.
-- viewers: distinct users who viewed the product; buyers_after_view: those of them with a
-- purchase of it at or after their first view of it (a purchase with no view before it does
-- not count); conversion_rate: buyers_after_view / viewers, rounded to 4 decimals. Over all
-- time; products nobody viewed have no rate and are left out.
-- grain: one row per product with a view; the best conversion first (then more viewers, then product_id).
with

interactions as (
    select
        user_id,
        product_id,
        action,
        occurred_at
    from marts.user_activity_ranked
),

first_views as (
    select
        product_id,
        user_id,
        min(occurred_at) as first_viewed_at
    from interactions
    where action = 'view'
    group by
        product_id,
        user_id
),

buyers_after_view as (
    select distinct
        first_views.product_id,
        first_views.user_id
    from first_views
    inner join interactions
        on interactions.product_id = first_views.product_id
        and interactions.user_id = first_views.user_id
        and interactions.action = 'purchase'
        and interactions.occurred_at >= first_views.first_viewed_at
),

product_funnels as (
    select
        first_views.product_id,
        count(*) as viewers,
        count(buyers_after_view.user_id) as buyers_after_view
    from first_views
    left join buyers_after_view
        on buyers_after_view.product_id = first_views.product_id
        and buyers_after_view.user_id = first_views.user_id
    group by first_views.product_id
),

final as (
    select
        product_id,
        viewers,
        buyers_after_view,
        round(buyers_after_view::numeric / viewers, 4) as conversion_rate
    from product_funnels
)

select * from final
order by
    conversion_rate desc,
    viewers desc,
    product_id collate "C"
