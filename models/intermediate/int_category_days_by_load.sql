-- int_category_days_by_load: per lake load, displays and clicks per article category and day.
-- grain: one row per load, category and day; key: (load_id, category, event_date).
-- materialized: incremental
-- incremental_by: load_id
-- unique_key: load_id, category, event_date
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
