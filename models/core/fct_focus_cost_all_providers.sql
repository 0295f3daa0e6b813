{#- Every provider's FOCUS Cost and Usage rows in one table: OpenAI's (fct_openai_cost) and the
    team's cloud bills (stg_cloud_focus__cost_and_usage, empty unless var('cloud_focus_path') or
    var('cloud_focus_table') is set), in the FOCUS 1.3 columns both have. Money stays
    decimal(38, 18); quantities are widened to decimal(38, 18), the scale of the cloud files. -#}

{%- set focus_columns = [
    'BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost', 'BillingCurrency',
    'ChargePeriodStart', 'ChargePeriodEnd', 'BillingPeriodStart', 'BillingPeriodEnd',
    'ChargeCategory', 'ChargeDescription', 'ServiceProviderName', 'HostProviderName',
    'InvoiceIssuerName', 'ServiceCategory', 'ServiceName', 'BillingAccountId', 'BillingAccountName',
    'SubAccountId', 'SubAccountName', 'RegionId', 'ResourceId', 'SkuId', 'PricingQuantity',
    'PricingUnit', 'ConsumedQuantity', 'ConsumedUnit'
] -%}
{%- set quantities = ['PricingQuantity', 'ConsumedQuantity'] -%}

with

openai_costs as (
    select * from {{ ref('fct_openai_cost') }}
),

cloud_costs as (
    select * from {{ ref('stg_cloud_focus__cost_and_usage') }}
),

openai_rows as (
    select
        {%- for name in focus_columns %}
            {%- if name in quantities %}
                cast({{ adapter.quote(name) }} as {{ type_money() }}) as {{ adapter.quote(name) }},
            {%- else %}
                {{ adapter.quote(name) }},
            {%- endif %}
        {%- endfor %}
        'openai' as "x_SourceDataset",
        '1.3' as "x_FocusVersion",
        cast(null as {{ dbt.type_string() }}) as "x_SourceFile",
        "x_CostRowId" as "x_RowId",
        false as "x_HasRuleViolations",
        cast(null as {{ dbt.type_string() }}) as "x_RuleViolations"
    from openai_costs
),

cloud_rows as (
    select
        {%- for name in focus_columns %}
            {{ adapter.quote(name) }},
        {%- endfor %}
        'cloud_focus' as "x_SourceDataset",
        "x_FocusVersion",
        "x_SourceFile",
        "x_SourceRowId" as "x_RowId",
        "x_HasRuleViolations",
        "x_RuleViolations"
    from cloud_costs
),

unioned as (
    select * from openai_rows
    union all
    select * from cloud_rows
),

final as (
    select
        *,
        cast({{ dbt.date_trunc('day', '"ChargePeriodStart"') }} as date) as "x_ChargeDate"
    from unioned
)

select * from final
