-- category_ctr_daily: displays, clicks and CTR per article category and day;
-- feeds the CTR-per-category chart. Counts display and click events whose
-- ATTRIBUTES.category is a non-empty string (an article id is not required).
-- grain: one row per category and day; key: (category, date).
-- materialized: materialized_view
-- unique_key: category, date
-- not_null: category, date, card_views, article_views
with

category_events as (
    select
        category,
        event_date,
        is_display,
        is_click
    from staging.stg_events
    where category is not null
        and (is_display or is_click)
),

final as (
    select
        category,
        event_date as date,
        count(*) filter (where is_display) as card_views,
        count(*) filter (where is_click) as article_views,
        count(*) filter (where is_click)::numeric
            / nullif(count(*) filter (where is_display), 0) as ctr
    from category_events
    group by
        category,
        event_date
)

select * from final
