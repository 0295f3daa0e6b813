{#- rpt_spend_daily, what the report and the summary total, loses no billed dollar: per
    organization and UTC day it sums exactly to fct_openai_cost's BilledCost. Returns the
    offending days. -#}

with

billed as (
    select
        "BillingAccountId" as org_id,
        "x_ChargeDate" as charge_date,
        sum("BilledCost") as billed_cost_usd
    from {{ ref('fct_openai_cost') }}
    group by
        "BillingAccountId",
        "x_ChargeDate"
),

reported as (
    select
        org_id,
        charge_date,
        sum(billed_cost_usd) as billed_cost_usd
    from {{ ref('rpt_spend_daily') }}
    group by
        org_id,
        charge_date
)

select
    billed.billed_cost_usd as fct_billed_cost_usd,
    reported.billed_cost_usd as rpt_billed_cost_usd,
    coalesce(billed.org_id, reported.org_id) as org_id,
    coalesce(billed.charge_date, reported.charge_date) as charge_date
from billed
full outer join reported
    on
        billed.org_id = reported.org_id
        and billed.charge_date = reported.charge_date
where coalesce(billed.billed_cost_usd, 0) != coalesce(reported.billed_cost_usd, 0)
