-- test: each row counts at least one event, and at least one and at most activity_count distinct users
-- model: marts.hourly_url_activity
-- returns: the rows whose unique_users is out of range
select
    hour,
    url_level_1,
    action,
    activity_count,
    unique_users
from marts.hourly_url_activity
where activity_count < 1
    or unique_users < 1
    or unique_users > activity_count
