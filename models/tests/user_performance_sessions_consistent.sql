-- test: sessions is never negative, and the average length is NULL exactly when there are none
-- model: marts.user_performance
-- returns: the rows where sessions and their average disagree
select
    user_id,
    date,
    sessions,
    avg_session_length_seconds
from marts.user_performance
where sessions < 0
    or (sessions = 0) <> (avg_session_length_seconds is null)
    or avg_session_length_seconds < 0
