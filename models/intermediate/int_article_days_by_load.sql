-- int_article_days_by_load: per lake load, each article's displays and clicks per day,
-- and the latest title and category it carried that day (with when), so that the
-- mart can combine loads: counts add up, the latest value wins.
-- grain: one row per load, article and day; key: (load_id, article_id, event_date).
-- materialized: incremental
-- incremental_by: load_id
-- index: article_id, event_date
-- unique_key: load_id, article_id, event_date
-- column load_id: the load (raw.loads) whose events this row counts
-- column article_id: the article id: ATTRIBUTES.id of the events (a non-empty string)
-- column event_date: the day of the events, in the reporting time zone (elt.settings)
-- column card_views: displays of the article that day in this load (may be 0: any event with the id gives a row)
-- column article_views: clicks on the article that day in this load
-- column title_at: the latest instant of the article's events that load and day (any event name) carrying a title;
--     NULL when none does
-- column title: the title of the event at title_at (several there: the greatest in byte order, collate "C");
--     NULL when none
-- column category_at: the latest instant of the article's events that load and day (any event name) carrying
--     a category; NULL when none does
-- column category: the category of the event at category_at (several there: the greatest, as for title);
--     NULL when none
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
