-- test: ctr is article_views / card_views, NULL without displays
-- model: marts.category_ctr_daily
-- returns: the rows whose ctr disagrees with their two counts
select
    category,
    date,
    card_views,
    article_views,
    ctr
from marts.category_ctr_daily
where ctr is distinct from article_views::numeric / nullif(card_views, 0)
