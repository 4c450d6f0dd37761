-- test: a higher activity_rank is never later: ranks go from the latest interaction to the
-- earliest, and interactions at the same instant follow interaction_id in byte order
-- model: marts.user_activity_ranked
-- returns: the rows that come out of order after the rank before them
with

ranked_pairs as (
    select
        user_id,
        activity_rank,
        interaction_id,
        occurred_at,
        lag(interaction_id) over (partition by user_id order by activity_rank) as previous_interaction_id,
        lag(occurred_at) over (partition by user_id order by activity_rank) as previous_occurred_at
    from marts.user_activity_ranked
)

select *
from ranked_pairs
where occurred_at > previous_occurred_at
    or (occurred_at = previous_occurred_at and interaction_id collate "C" < previous_interaction_id collate "C")
