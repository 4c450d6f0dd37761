-- test: each user's activity_rank runs 1..n without gaps or repeats (n: the user's interactions)
-- model: marts.user_activity_ranked
-- returns: the users whose ranks are not exactly 1..n
with

user_ranks as (
    select
        user_id,
        count(*) as interactions,
        count(distinct activity_rank) as distinct_ranks,
        min(activity_rank) as first_rank,
        max(activity_rank) as last_rank
    from marts.user_activity_ranked
    group by user_id
)

select *
from user_ranks
where first_rank <> 1
    or last_rank <> interactions
    or distinct_ranks <> interactions
