-- category_ctr_daily: displays, clicks and CTR per article category and day;
-- feeds the CTR-per-category chart. Counts display and click events whose
-- ATTRIBUTES.category is a non-empty string (an article id is not required).
-- grain: one row per category and day; key: (category, date).
-- materialized: incremental
-- incremental_by: date
-- incremental_from: intermediate.int_category_days_by_load (event_date)
-- unique_key: category, date
-- not_null: category, date, card_views, article_views
-- column category: ATTRIBUTES.category of the display and click events (a non-empty string)
-- column date: the day of the events, in the reporting time zone (elt.settings)
-- column card_views: displays carrying that category that day (counted per load in
--     intermediate.int_category_days_by_load, added up here)
-- column article_views: clicks carrying that category that day
-- column ctr: article_views / card_views; NULL without displays
-- expect ctr_matches_counts:
--     case when card_views <> 0 then article_views::numeric / card_views end is not distinct from ctr
with

category_days_by_load as (
    select
        category,
        event_date,
        card_views,
        article_views
    from intermediate.int_category_days_by_load
),

daily_categories as (
    select
        category,
        event_date as date,
        sum(card_views)::bigint as card_views,
        sum(article_views)::bigint as article_views
    from category_days_by_load
    group by
        category,
        event_date
),

final as (
    select
        category,
        date,
        card_views,
        article_views,
        article_views::numeric / nullif(card_views, 0) as ctr
    from daily_categories
)

select * from final
