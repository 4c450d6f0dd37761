-- article_performance: displays, clicks, cumulative clicks and CTR per article and day.
-- title and category: the value carried by the article's latest event that day (of any
-- event type) that has one; ties go to the greatest value in byte order (collate "C"),
-- so the pick never depends on load order or on the database's collation.
-- grain: one row per article and day with a display or click; key: (article_id, date).
-- Incremental from a lower bound: a refresh recomputes each changed article from the earliest day
-- its new loads changed, its running sum starting from its row of the day before (elt.fold_keys()).
-- materialized: incremental
-- incremental_by: article_id, date
-- incremental_from: intermediate.int_article_days_by_load (article_id, event_date)
-- unique_key: article_id, date
-- not_null: article_id, date, card_views, article_views, cumulative_article_views
-- column article_id: ATTRIBUTES.id of the article's display and click events (a non-empty string)
-- column date: the day of the events, in the reporting time zone (elt.settings)
-- column title: the article's title that day (see above for which one)
-- column category: the article's category that day (see above for which one)
-- column card_views: displays of the article that day (top_news_card_viewed, my_news_card_viewed events;
--     counted per load in intermediate.int_article_days_by_load, added up here)
-- column article_views: clicks on the article that day (article_viewed events; counted as card_views are)
-- column cumulative_article_views: the sum of article_views over the article's rows up to and including this date
-- column ctr: article_views / card_views; NULL without displays
-- expect ctr_matches_counts:
--     case when card_views <> 0 then article_views::numeric / card_views end is not distinct from ctr
with

-- the articles to compute, each from the first day to compute, with its running sum before that day:
-- in a build every article from its first day; in a refresh the articles the new loads changed, from
-- the earliest day they changed, after the article's row of the day before (the engine's fold)
articles_to_compute as (
    select
        key as article_id,
        since::date as first_date,
        coalesce((previous ->> 'cumulative_article_views')::bigint, 0) as article_views_before
    from elt.fold_keys()
),

article_days_by_load as (
    select
        article_id,
        event_date,
        card_views,
        article_views,
        title_at,
        title,
        category_at,
        category
    from intermediate.int_article_days_by_load
),

article_days_to_compute as (
    select
        article_days_by_load.article_id,
        article_days_by_load.event_date,
        article_days_by_load.card_views,
        article_days_by_load.article_views,
        article_days_by_load.title_at,
        article_days_by_load.title,
        article_days_by_load.category_at,
        article_days_by_load.category
    from article_days_by_load
    join articles_to_compute
        on article_days_by_load.article_id = articles_to_compute.article_id
        and article_days_by_load.event_date >= articles_to_compute.first_date
),

daily_articles as (
    select
        article_id,
        event_date as date,
        sum(card_views)::bigint as card_views,
        sum(article_views)::bigint as article_views,
        (array_agg(title order by title_at desc, title collate "C" desc)
            filter (where title is not null))[1] as title,
        (array_agg(category order by category_at desc, category collate "C" desc)
            filter (where category is not null))[1] as category
    from article_days_to_compute
    group by
        article_id,
        event_date
    having sum(card_views + article_views) > 0
),

final as (
    select
        daily_articles.article_id,
        daily_articles.date,
        daily_articles.title,
        daily_articles.category,
        daily_articles.card_views,
        daily_articles.article_views,
        (articles_to_compute.article_views_before + sum(daily_articles.article_views) over (
            partition by daily_articles.article_id
            order by daily_articles.date
            rows between unbounded preceding and current row
        ))::bigint as cumulative_article_views,
        daily_articles.article_views::numeric / nullif(daily_articles.card_views, 0) as ctr
    from daily_articles
    join articles_to_compute on daily_articles.article_id = articles_to_compute.article_id
)

select * from final
