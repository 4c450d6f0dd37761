-- test: every display and click in staging is counted once in each mart (clicks in = clicks out);
-- a mismatch also means a mart is stale: raw data arrived after its last refresh
-- model: marts.article_performance, marts.user_performance, marts.category_ctr_daily
-- returns: one row per mart whose totals differ from staging
with

staging_totals as (
    select
        count(*) filter (where is_display and article_id is not null) as article_displays,
        count(*) filter (where is_click and article_id is not null) as article_clicks,
        count(*) filter (where is_display and user_id is not null) as user_displays,
        count(*) filter (where is_click and user_id is not null) as user_clicks,
        count(*) filter (where is_display and category is not null) as category_displays,
        count(*) filter (where is_click and category is not null) as category_clicks
    from staging.stg_events
),

mart_totals as (
    select
        'marts.article_performance' as mart,
        coalesce(sum(card_views), 0) as displays,
        coalesce(sum(article_views), 0) as clicks
    from marts.article_performance
    union all
    select
        'marts.user_performance' as mart,
        coalesce(sum(card_views), 0) as displays,
        coalesce(sum(article_views), 0) as clicks
    from marts.user_performance
    union all
    select
        'marts.category_ctr_daily' as mart,
        coalesce(sum(card_views), 0) as displays,
        coalesce(sum(article_views), 0) as clicks
    from marts.category_ctr_daily
),

compared as (
    select
        mart_totals.mart,
        mart_totals.displays as mart_displays,
        case mart_totals.mart
            when 'marts.article_performance' then staging_totals.article_displays
            when 'marts.user_performance' then staging_totals.user_displays
            else staging_totals.category_displays
        end as staging_displays,
        mart_totals.clicks as mart_clicks,
        case mart_totals.mart
            when 'marts.article_performance' then staging_totals.article_clicks
            when 'marts.user_performance' then staging_totals.user_clicks
            else staging_totals.category_clicks
        end as staging_clicks
    from mart_totals
    cross join staging_totals
)

select *
from compared
where mart_displays <> staging_displays
    or mart_clicks <> staging_clicks
