-- int_article_days_by_load: per lake load, each article's displays and clicks per day,
-- and the latest title and category it carried that day (with when), so that the
-- mart can combine loads: counts add up, the latest value wins.
-- grain: one row per load, article and day; key: (load_id, article_id, event_date).
-- materialized: incremental
-- incremental_by: load_id
-- unique_key: load_id, article_id, event_date
with

article_events as (
    select
        load_id,
        article_id,
        event_date,
        event_at,
        title,
        category,
        is_display,
        is_click
    from intermediate.int_events
    where article_id is not null
),

final as (
    select
        load_id,
        article_id,
        event_date,
        count(*) filter (where is_display) as card_views,
        count(*) filter (where is_click) as article_views,
        max(event_at) filter (where title is not null) as title_at,
        (array_agg(title order by event_at desc, title collate "C" desc)
            filter (where title is not null))[1] as title,
        max(event_at) filter (where category is not null) as category_at,
        (array_agg(category order by event_at desc, category collate "C" desc)
            filter (where category is not null))[1] as category
    from article_events
    group by
        load_id,
        article_id,
        event_date
)

select * from final
