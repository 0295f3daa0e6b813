{#- FOCUS 1.3 split cost allocation (DataGeneratorCalculatedSplitCostAllocationHandling): every
    dimension an allocated part shares with its origin charge equals the origin's, and the
    origin's Tags are kept. Returns each part that differs, with the origin's values. -#}

-- FOCUS column names are quoted so that they keep their case on PostgreSQL.
-- noqa: disable=references.quoting

with

origins as (
    select * from {{ ref('fct_openai_cost') }}
),

parts as (
    select * from {{ ref('fct_openai_cost_allocated') }}
),

final as (
    select
        parts."x_AllocationId",
        parts."x_CostRowId",
        origins."Tags" as origin_tags,
        parts."Tags" as part_tags
    from parts
    inner join origins
        on parts."x_CostRowId" = origins."x_CostRowId"
    where
        parts."BillingAccountId" is distinct from origins."BillingAccountId"
        or parts."BillingAccountName" is distinct from origins."BillingAccountName"
        or parts."BillingCurrency" is distinct from origins."BillingCurrency"
        or parts."ChargePeriodStart" is distinct from origins."ChargePeriodStart"
        or parts."ChargePeriodEnd" is distinct from origins."ChargePeriodEnd"
        or parts."ServiceName" is distinct from origins."ServiceName"
        or parts."SubAccountId" is distinct from origins."SubAccountId"
        or parts."SubAccountName" is distinct from origins."SubAccountName"
        or parts."Tags" is distinct from origins."Tags"
        or parts."x_LineItem" is distinct from origins."x_LineItem"
)

select * from final
