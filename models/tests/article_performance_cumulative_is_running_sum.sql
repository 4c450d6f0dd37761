-- test: cumulative_article_views never decreases and equals the running sum of clicks
-- model: marts.article_performance
-- returns: the rows where the running total breaks
with

running_totals as (
    select
        article_id,
        date,
        article_views,
        cumulative_article_views,
        lag(cumulative_article_views) over (partition by article_id order by date) as previous_cumulative,
        sum(article_views) over (
            partition by article_id
            order by date
            rows between unbounded preceding and current row
        ) as expected_cumulative
    from marts.article_performance
)

select *
from running_totals
where cumulative_article_views < previous_cumulative
    or cumulative_article_views <> expected_cumulative
