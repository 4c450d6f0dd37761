-- test: ctr is article_views / card_views, NULL without displays
-- model: marts.article_performance
-- returns: the rows whose ctr disagrees with their two counts
select
    article_id,
    date,
    card_views,
    article_views,
    ctr
from marts.article_performance
where ctr is distinct from article_views::numeric / nullif(card_views, 0)
