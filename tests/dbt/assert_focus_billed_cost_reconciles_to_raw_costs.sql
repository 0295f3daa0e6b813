{#- Reconciliation: FOCUS BilledCost of the rows from the API (Usage, and Credit for a negative
    line the API sent; not the seed's adjustments), per organization, UTC day and project,
    equals the raw project-level costs (`group_by = line_item,project_id`) to the cent. The
    FOCUS rows come from the key-level rows wherever a day has them, so this also proves that
    the key-level split covers the same spend. Returns the groups that differ. -#}

with

focus as (
    select * from {{ ref('fct_openai_cost') }}
),

raw_costs as (
    select * from {{ ref('stg_openai__costs') }}
),

focus_totals as (
    select
        "BillingAccountId" as org_id,
        "x_ChargeDate" as charge_date,
        coalesce("SubAccountId", '(none)') as project_id,
        sum("BilledCost") as billed_cost
    from focus
    where "x_AdjustmentKind" is null
    group by 1, 2, 3
),

raw_totals as (
    select
        org_id,
        cast(bucket_start_at as date) as charge_date,
        coalesce(project_id, '(none)') as project_id,
        sum(amount_value) as billed_cost
    from raw_costs
    where group_by = 'line_item,project_id'
    group by 1, 2, 3
),

compared as (
    select
        focus_totals.billed_cost as focus_billed_cost,
        raw_totals.billed_cost as raw_billed_cost,
        coalesce(focus_totals.org_id, raw_totals.org_id) as org_id,
        coalesce(focus_totals.charge_date, raw_totals.charge_date) as charge_date,
        coalesce(focus_totals.project_id, raw_totals.project_id) as project_id
    from focus_totals
    full outer join raw_totals
        on
            focus_totals.org_id = raw_totals.org_id
            and focus_totals.charge_date = raw_totals.charge_date
            and focus_totals.project_id = raw_totals.project_id
),

final as (
    select *
    from compared
    where
        focus_billed_cost is null
        or raw_billed_cost is null
        or abs(focus_billed_cost - raw_billed_cost) >= 0.005
)

select * from final
