{#- The allocation is exact: for every Usage row of fct_openai_cost, the parts in
    fct_openai_cost_allocated sum to its BilledCost to the last decimal (no tolerance), and no
    billed row is missing or allocated twice. Returns each offending billed row with both sums. -#}

with

billed_rows as (
    select
        "x_CostRowId" as cost_row_id,
        "BilledCost" as billed_cost
    from {{ ref('fct_openai_cost') }}
    where "ChargeCategory" = 'Usage'
),

allocated_parts as (
    select
        "x_CostRowId" as cost_row_id,
        sum("BilledCost") as allocated_cost,
        count(*) as part_count,
        count(distinct "x_SourceBilledCost") as source_amount_count,
        max("x_SourceBilledCost") as source_billed_cost
    from {{ ref('fct_openai_cost_allocated') }}
    group by "x_CostRowId"
),

compared as (
    select
        billed_rows.billed_cost,
        allocated_parts.allocated_cost,
        allocated_parts.part_count,
        allocated_parts.source_billed_cost,
        coalesce(billed_rows.cost_row_id, allocated_parts.cost_row_id) as cost_row_id,
        case
            when billed_rows.cost_row_id is null then 'allocated row without a billed Usage row'
            when allocated_parts.cost_row_id is null then 'billed row not allocated'
            when allocated_parts.allocated_cost != billed_rows.billed_cost
                then 'parts do not sum to the billed cost'
            when allocated_parts.source_amount_count != 1
                then 'x_SourceBilledCost differs between parts'
            when allocated_parts.source_billed_cost != billed_rows.billed_cost
                then 'x_SourceBilledCost differs from the billed cost'
        end as problem
    from billed_rows
    full outer join allocated_parts
        on billed_rows.cost_row_id = allocated_parts.cost_row_id
)

select * from compared
where problem is not null
