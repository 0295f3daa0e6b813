{#- The whole bill by day: every provider's spend by service category and service, and OpenAI's
    share of each day's total in the same currency. A charge is counted on the UTC day its charge
    period starts (AWS and Oracle bill hourly, Azure and OpenAI daily; a monthly charge falls on
    its first day). -#}

with

all_costs as (
    select * from {{ ref('fct_focus_cost_all_providers') }}
),

daily as (
    select
        "x_ChargeDate" as charge_date,
        "ServiceProviderName" as service_provider_name,
        "ServiceCategory" as service_category,
        "ServiceName" as service_name,
        "BillingCurrency" as billing_currency,
        "x_SourceDataset" = 'openai' as is_openai,
        sum("BilledCost") as billed_cost,
        sum("EffectiveCost") as effective_cost,
        cast(count(*) as {{ dbt.type_bigint() }}) as charge_rows,
        cast(sum(case when "x_HasRuleViolations" then 1 else 0 end) as {{ dbt.type_bigint() }})
            as rule_violation_rows
    from all_costs
    group by 1, 2, 3, 4, 5, 6
),

with_day_totals as (
    select
        *,
        {#- A window, not a join back: it keeps rows whose currency is null (flagged upstream). #}
        sum(billed_cost) over (partition by charge_date, billing_currency) as day_billed_cost,
        sum(case when is_openai then billed_cost else 0 end)
            over (partition by charge_date, billing_currency) as openai_day_billed_cost
    from daily
),

final as (
    select
        charge_date,
        service_provider_name,
        service_category,
        service_name,
        billing_currency,
        is_openai,
        billed_cost,
        effective_cost,
        charge_rows,
        rule_violation_rows,
        day_billed_cost,
        openai_day_billed_cost,
        cast(openai_day_billed_cost / nullif(day_billed_cost, 0) as {{ type_money() }}) as openai_share_of_day
    from with_day_totals
)

select * from final
