-- top_products_last_month: the 5 products with the most purchases last month.
-- "last month" is the latest month in marts.product_monthly_summary: the data's own clock, so
-- the committed sample answers the same on any day. For the calendar month before today, write
-- (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date in latest_month.
-- Products without a purchase that month are left out; equal purchases rank by product_id
-- in byte order. Months are those of the mart: the reporting time zone (UTC by default).
-- grain: one row per product, at most 5, purchase_rank 1 first.
with

monthly_summary as (
    select
        product_id,
        month,
        views,
        purchases,
        distinct_users
    from marts.product_monthly_summary
),

latest_month as (
    select max(month) as month
    from monthly_summary
),

ranked_products as (
    select
        row_number() over (
            order by monthly_summary.purchases desc, monthly_summary.product_id collate "C"
        ) as purchase_rank,
        monthly_summary.month,
        monthly_summary.product_id,
        monthly_summary.purchases,
        monthly_summary.views,
        monthly_summary.distinct_users
    from monthly_summary
    inner join latest_month on latest_month.month = monthly_summary.month
    where monthly_summary.purchases > 0
),

final as (
    select
        purchase_rank,
        month,
        product_id,
        purchases,
        views,
        distinct_users
    from ranked_products
    where purchase_rank <= 5
)

select * from final
order by purchase_rank
