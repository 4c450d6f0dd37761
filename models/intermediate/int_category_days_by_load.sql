-- int_category_days_by_load: per lake load, displays and clicks per article category and day.
-- grain: one row per load, category and day; key: (load_id, category, event_date).
-- materialized: incremental
-- incremental_by: load_id
-- index: event_date
-- unique_key: load_id, category, event_date
-- column load_id: the load (raw.loads) whose events this row counts
-- column category: ATTRIBUTES.category of the display and click events (a non-empty string)
-- column event_date: the day of the events, in the reporting time zone (elt.settings)
-- column card_views: displays carrying that category that day in this load
-- column article_views: clicks carrying that category that day in this load
with

category_events as (
    select
        load_id,
        category,
        event_date,
        is_display,
        is_click
    from intermediate.int_events
    where category is not null
        and (is_display or is_click)
),

final as (
    select
        load_id,
        category,
        event_date,
        count(*) filter (where is_display) as card_views,
        count(*) filter (where is_click) as article_views
    from category_events
    group by
        load_id,
        category,
        event_date
)

select * from final
