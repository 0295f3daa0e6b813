{#- mart_cost_reconciliation loses no billed dollar: per organization and UTC day its
    billed_cost_usd sums exactly to the Usage BilledCost of fct_openai_cost, and the usage list
    cost it compares with covers exactly the priced usage of int_usage_token_quantities. Returns
    the offending days. -#}

with

billed as (
    select
        "BillingAccountId" as org_id,
        "x_ChargeDate" as charge_date,
        sum("BilledCost") as billed_cost_usd
    from {{ ref('fct_openai_cost') }}
    where "ChargeCategory" = 'Usage'
    group by
        "BillingAccountId",
        "x_ChargeDate"
),

used as (
    select
        org_id,
        usage_date as charge_date,
        sum(billed_unit_quantity) as usage_quantity
    from {{ ref('int_usage_token_quantities') }}
    group by
        org_id,
        usage_date
),

reconciled as (
    select
        org_id,
        charge_date,
        sum(billed_cost_usd) as billed_cost_usd,
        sum(usage_quantity) as usage_quantity
    from {{ ref('mart_cost_reconciliation') }}
    group by
        org_id,
        charge_date
),

compared as (
    select
        billed.billed_cost_usd as fct_billed_cost_usd,
        reconciled.billed_cost_usd as mart_billed_cost_usd,
        used.usage_quantity as int_usage_quantity,
        reconciled.usage_quantity as mart_usage_quantity,
        coalesce(reconciled.org_id, billed.org_id, used.org_id) as org_id,
        coalesce(reconciled.charge_date, billed.charge_date, used.charge_date) as charge_date
    from reconciled
    full outer join billed
        on
            reconciled.org_id = billed.org_id
            and reconciled.charge_date = billed.charge_date
    full outer join used
        on
            coalesce(reconciled.org_id, billed.org_id) = used.org_id
            and coalesce(reconciled.charge_date, billed.charge_date) = used.charge_date
)

select * from compared
where
    coalesce(fct_billed_cost_usd, 0) != coalesce(mart_billed_cost_usd, 0)
    or coalesce(int_usage_quantity, 0) != coalesce(mart_usage_quantity, 0)
