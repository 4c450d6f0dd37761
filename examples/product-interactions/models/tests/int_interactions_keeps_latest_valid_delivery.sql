-- test: int_interactions holds each interaction_id with a valid record in staging once, as
-- that record's latest delivery (greatest load_id, then line_no), and nothing else
-- (a mismatch also means a stale view: refresh it)
-- model: intermediate.int_interactions
-- returns: the interactions missing, extra, or kept from an older delivery
with

valid_deliveries as (
    select
        interaction_id,
        load_id,
        line_no
    from staging.stg_interactions
    where is_valid
),

latest_deliveries as (
    select distinct on (interaction_id)
        interaction_id,
        load_id,
        line_no
    from valid_deliveries
    order by
        interaction_id,
        load_id desc,
        line_no desc
),

interactions as (
    select
        interaction_id,
        load_id,
        line_no
    from intermediate.int_interactions
),

compared as (
    select
        coalesce(latest_deliveries.interaction_id, interactions.interaction_id) as interaction_id,
        latest_deliveries.load_id as latest_load_id,
        latest_deliveries.line_no as latest_line_no,
        interactions.load_id as kept_load_id,
        interactions.line_no as kept_line_no
    from latest_deliveries
    full join interactions on interactions.interaction_id = latest_deliveries.interaction_id
)

select *
from compared
where (latest_load_id, latest_line_no) is distinct from (kept_load_id, kept_line_no)
