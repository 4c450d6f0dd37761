-- test: in each row, the four action counts add up to interactions, distinct users are
-- between 1 and interactions, and month is the first day of a month
-- model: marts.product_monthly_summary
-- returns: the rows whose counts disagree
select
    product_id,
    month,
    interactions,
    distinct_users,
    views,
    add_to_carts,
    purchases,
    reviews
from marts.product_monthly_summary
where interactions <> views + add_to_carts + purchases + reviews
    or distinct_users < 1
    or distinct_users > interactions
    or extract(day from month) <> 1
