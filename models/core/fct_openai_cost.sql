{#- FOCUS 1.2 Cost and Usage rows for OpenAI. Usage rows come from the daily costs (one per
    organization, UTC day, project, line item and API key where known); manual credits,
    refunds and adjustments come from seeds/billing_adjustments.csv. OpenAI's charge is the
    unblended cost, so BilledCost = EffectiveCost = ContractedCost = ListCost = x_UnblendedCost.
    Money is decimal(38, 18). Columns in FOCUS spelling, quoted so they keep their case on
    every warehouse; our own columns start with x_ and come after the FOCUS ones. -#}

{#- Incremental by organization and day (macros/incremental_lookback.sql): a daily run rebuilds the
    lookback window, plus every day from the earliest one where seeds/billing_adjustments.csv no
    longer matches the credits and adjustments in the table (a credit added or changed after the
    fact). Names (project, API key, organization) are those of the day a row was last built; a
    rename reaches older rows on a --full-refresh. -#}
{{
    config(
        materialized='incremental',
        unique_key=['"BillingAccountId"', '"x_ChargeDate"'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{%- set usage_rows %}"ChargeCategory" = 'Usage'{% endset -%}
{%- set adjustments_changed_since -%}
    select min(changed.charge_date) as changed_since
    from (
        (
            select
                org_id,
                adjustment_date as charge_date,
                project_id,
                description,
                cast(amount_usd as {{ type_money() }}) as amount_usd,
                kind
            from {{ ref('billing_adjustments') }}
            except
            select
                "BillingAccountId",
                "x_ChargeDate",
                "SubAccountId",
                "ChargeDescription",
                "BilledCost",
                "x_AdjustmentKind"
            from {{ this }}
            where "x_AdjustmentKind" is not null
        )
        union all
        (
            select
                "BillingAccountId",
                "x_ChargeDate",
                "SubAccountId",
                "ChargeDescription",
                "BilledCost",
                "x_AdjustmentKind"
            from {{ this }}
            where "x_AdjustmentKind" is not null
            except
            select
                org_id,
                adjustment_date,
                project_id,
                description,
                cast(amount_usd as {{ type_money() }}),
                kind
            from {{ ref('billing_adjustments') }}
        )
    ) as changed
{%- endset %}

with

all_costs as (
    select * from {{ ref('int_openai_costs_selected') }}
),

costs as (
    select * from all_costs
    where {{ lookback_predicate(
        'org_id', 'charge_date', 'date', '"BillingAccountId"', '"x_ChargeDate"', [adjustments_changed_since],
        this_where=usage_rows,
    ) }}
),

all_billing_adjustments as (
    select * from {{ ref('billing_adjustments') }}
),

billing_adjustments as (
    select * from all_billing_adjustments
    where {{ lookback_predicate(
        'org_id', 'adjustment_date', 'date', '"BillingAccountId"', '"x_ChargeDate"', [adjustments_changed_since],
        this_where=usage_rows,
    ) }}
),

projects as (
    select * from {{ ref('dim_openai_projects') }}
),

api_keys as (
    select * from {{ ref('dim_openai_api_keys') }}
),

prices as (
    select * from {{ ref('openai_prices') }}
),

{# The unit of a line item that the API sends without quantity_unit (optional in its schema). -#}
line_item_units as (
    select
        lower(line_item) as line_item_key,
        max(consumed_unit) as consumed_unit
    from prices
    group by lower(line_item)
),

{# from the whole history (a cheap scan of one table), as a full refresh sees it -#}
organizations as (
    select
        org_id,
        max(organization_name) as organization_name
    from all_costs
    group by org_id
),

{# A negative line from the API is a refund or credit OpenAI granted: a Credit row, not usage. -#}
usage_charges as (
    select
        costs.org_id,
        costs.charge_date,
        costs.project_id,
        costs.api_key_id,
        costs.line_item,
        case when costs.amount_value < 0 then 'Credit' else 'Usage' end as charge_category,
        case when costs.amount_value < 0 then 'One-Time' else 'Usage-Based' end as charge_frequency,
        costs.line_item as charge_description,
        costs.amount_value as charge_cost,
        costs.currency,
        costs.quantity,
        coalesce(
            {{ focus_consumed_unit('costs.quantity_unit') }},
            line_item_units.consumed_unit,
            {{ focus_unit_of_line_item('costs.line_item_token_type') }},
            'Unknown'
        ) as consumed_unit,
        costs.quantity_unit,
        costs.service_name,
        costs.line_item_model,
        costs.line_item_token_type,
        costs.line_item_modality,
        costs.line_item_image_size,
        costs.line_item_tool,
        costs.line_item_service_tier,
        costs.line_item_is_batch,
        costs.is_line_item_parsed,
        cast(null as {{ dbt.type_string() }}) as adjustment_kind,
        costs.project_name
    from costs
    left join line_item_units
        on lower(costs.line_item) = line_item_units.line_item_key
),

adjustment_charges as (
    select
        org_id,
        adjustment_date as charge_date,
        project_id,
        cast(null as {{ dbt.type_string() }}) as api_key_id,
        cast(null as {{ dbt.type_string() }}) as line_item,
        case when kind = 'adjustment' then 'Adjustment' else 'Credit' end as charge_category,
        'One-Time' as charge_frequency,
        description as charge_description,
        cast(amount_usd as {{ type_money() }}) as charge_cost,
        'USD' as currency,
        cast(null as {{ type_quantity() }}) as quantity,
        cast(null as {{ dbt.type_string() }}) as consumed_unit,
        cast(null as {{ dbt.type_string() }}) as quantity_unit,
        'OpenAI API' as service_name,
        cast(null as {{ dbt.type_string() }}) as line_item_model,
        cast(null as {{ dbt.type_string() }}) as line_item_token_type,
        cast(null as {{ dbt.type_string() }}) as line_item_modality,
        cast(null as {{ dbt.type_string() }}) as line_item_image_size,
        cast(null as {{ dbt.type_string() }}) as line_item_tool,
        cast(null as {{ dbt.type_string() }}) as line_item_service_tier,
        cast(null as {{ dbt.type_boolean() }}) as line_item_is_batch,
        cast(null as {{ dbt.type_boolean() }}) as is_line_item_parsed,
        kind as adjustment_kind,
        cast(null as {{ dbt.type_string() }}) as project_name
    from billing_adjustments
),

charges as (
    select * from usage_charges
    union all
    select * from adjustment_charges
),

priced as (
    select
        charges.*,
        {{ focus_pricing_unit('charges.consumed_unit') }} as pricing_unit,
        cast(
            charges.quantity * {{ focus_pricing_factor('charges.consumed_unit') }}
            as {{ type_money() }}
        ) as pricing_quantity,
        cast({{ dbt.date_trunc('month', 'charges.charge_date') }} as {{ dbt.type_timestamp() }})
            as billing_period_start_at,
        cast(charges.charge_date as {{ dbt.type_timestamp() }}) as charge_period_start_at,
        coalesce(organizations.organization_name, charges.org_id) as organization_name,
        case
            when charges.project_id is not null
                then coalesce(projects.project_name, charges.project_name, charges.project_id)
        end as project_name_resolved,
        api_keys.api_key_name
    from charges
    left join organizations
        on charges.org_id = organizations.org_id
    left join projects
        on
            charges.org_id = projects.org_id
            and charges.project_id = projects.project_id
    left join api_keys
        on
            charges.org_id = api_keys.org_id
            and charges.api_key_id = api_keys.api_key_id
),

{# ListUnitPrice = charge_cost / PricingQuantity, so ListCost = ListUnitPrice x PricingQuantity within the
    rounding of decimal(38, 18) (DuckDB divides decimals in double precision). -#}
unit_priced as (
    select
        *,
        case
            when pricing_quantity = 0 and charge_cost = 0 then cast(0 as {{ type_money() }})
            when pricing_quantity != 0 then cast(charge_cost / pricing_quantity as {{ type_money() }})
        end as list_unit_price
    from priced
),

final as (
    {#- Usage-only columns are cast to their types again: PostgreSQL drops the precision and scale of a
        case expression (numeric(38, 9) becomes plain numeric); DuckDB keeps them. #}
    select
        cast(null as {{ dbt.type_string() }}) as "AvailabilityZone",
        charge_cost as "BilledCost",
        org_id as "BillingAccountId",
        organization_name as "BillingAccountName",
        'Organization' as "BillingAccountType",
        currency as "BillingCurrency",
        {{ dbt.dateadd('month', 1, 'billing_period_start_at') }} as "BillingPeriodEnd",
        billing_period_start_at as "BillingPeriodStart",
        cast(null as {{ dbt.type_string() }}) as "CapacityReservationId",
        cast(null as {{ dbt.type_string() }}) as "CapacityReservationStatus",
        charge_category as "ChargeCategory",
        cast(null as {{ dbt.type_string() }}) as "ChargeClass",
        charge_description as "ChargeDescription",
        charge_frequency as "ChargeFrequency",
        {{ dbt.dateadd('day', 1, 'charge_period_start_at') }} as "ChargePeriodEnd",
        charge_period_start_at as "ChargePeriodStart",
        {#- OpenAI sells no commitment discounts: the columns are present and null. #}
        cast(null as {{ dbt.type_string() }}) as "CommitmentDiscountCategory",
        cast(null as {{ dbt.type_string() }}) as "CommitmentDiscountId",
        cast(null as {{ dbt.type_string() }}) as "CommitmentDiscountName",
        cast(null as {{ type_quantity() }}) as "CommitmentDiscountQuantity",
        cast(null as {{ dbt.type_string() }}) as "CommitmentDiscountStatus",
        cast(null as {{ dbt.type_string() }}) as "CommitmentDiscountType",
        cast(null as {{ dbt.type_string() }}) as "CommitmentDiscountUnit",
        cast(
            case when charge_category = 'Usage' then quantity end as {{ type_quantity() }}
        ) as "ConsumedQuantity",
        case when charge_category = 'Usage' then consumed_unit end as "ConsumedUnit",
        charge_cost as "ContractedCost",
        cast(
            case when charge_category = 'Usage' then list_unit_price end as {{ type_money() }}
        ) as "ContractedUnitPrice",
        charge_cost as "EffectiveCost",
        {#- FOCUS 1.3: OpenAI hosts what it sells and names no cloud (the spec's direct-SaaS case);
            the host of a tax or an adjustment cannot be determined. #}
        case when charge_category not in ('Tax', 'Adjustment') then 'OpenAI' end as "HostProviderName",
        cast(null as {{ dbt.type_string() }}) as "InvoiceId",
        'OpenAI' as "InvoiceIssuerName",
        charge_cost as "ListCost",
        cast(
            case when charge_category = 'Usage' then list_unit_price end as {{ type_money() }}
        ) as "ListUnitPrice",
        case when charge_category = 'Usage' then 'Standard' end as "PricingCategory",
        {#- On every row: the FOCUS 1.3 errata read PricingCurrency as not nullable when present. #}
        currency as "PricingCurrency",
        cast(
            case when charge_category = 'Usage' then list_unit_price end as {{ type_money() }}
        ) as "PricingCurrencyContractedUnitPrice",
        charge_cost as "PricingCurrencyEffectiveCost",
        cast(
            case when charge_category = 'Usage' then list_unit_price end as {{ type_money() }}
        ) as "PricingCurrencyListUnitPrice",
        cast(
            case when charge_category = 'Usage' then pricing_quantity end as {{ type_money() }}
        ) as "PricingQuantity",
        case when charge_category = 'Usage' then pricing_unit end as "PricingUnit",
        'OpenAI' as "ProviderName",
        'OpenAI' as "PublisherName",
        {#- The API is global: no regions; API keys are in x_ApiKeyId rather than ResourceId. #}
        cast(null as {{ dbt.type_string() }}) as "RegionId",
        cast(null as {{ dbt.type_string() }}) as "RegionName",
        cast(null as {{ dbt.type_string() }}) as "ResourceId",
        cast(null as {{ dbt.type_string() }}) as "ResourceName",
        cast(null as {{ dbt.type_string() }}) as "ResourceType",
        'AI and Machine Learning' as "ServiceCategory",
        service_name as "ServiceName",
        'OpenAI' as "ServiceProviderName",
        'Generative AI' as "ServiceSubcategory",
        case
            when charge_category = 'Usage'
                then coalesce(line_item_model, line_item_tool, lower(trim(line_item)))
        end as "SkuId",
        case
            when charge_category != 'Usage' then null
            when consumed_unit like '%Tokens' and line_item_token_type is not null
                then trim({{ dbt.concat([
                    "coalesce(line_item_modality, '')", "' '", "line_item_token_type", "' tokens'",
                ]) }})
            when line_item_image_size is not null then {{ dbt.concat(["line_item_image_size", "' images'"]) }}
            else coalesce(line_item_token_type, line_item_tool, lower(trim(line_item)))
        end as "SkuMeter",
        case
            when charge_category = 'Usage' and is_line_item_parsed
                then {{ json_flat_object([
                    ['x_Model', 'line_item_model'],
                    ['x_TokenType', 'line_item_token_type'],
                    ['x_Modality', 'line_item_modality'],
                    ['x_ImageSize', 'line_item_image_size'],
                    ['x_ServiceTier', 'line_item_service_tier'],
                    ['x_Tool', 'line_item_tool'],
                ]) }}
        end as "SkuPriceDetails",
        case when charge_category = 'Usage' then lower(trim(line_item)) end as "SkuPriceId",
        project_id as "SubAccountId",
        project_name_resolved as "SubAccountName",
        case when project_id is not null then 'Project' end as "SubAccountType",
        {{ json_flat_object([
            ['organization', 'organization_name'],
            ['project', 'project_name_resolved'],
            ['api_key', 'api_key_name'],
        ]) }} as "Tags",
        {{ generate_surrogate_key([
            'org_id', 'charge_date', 'project_id', 'line_item', 'api_key_id', 'charge_category',
            'charge_description',
        ]) }} as "x_CostRowId",
        charge_date as "x_ChargeDate",
        line_item_model as "x_Model",
        line_item_token_type as "x_TokenType",
        line_item_modality as "x_Modality",
        line_item_image_size as "x_ImageSize",
        line_item_service_tier as "x_ServiceTier",
        line_item_is_batch as "x_IsBatch",
        api_key_id as "x_ApiKeyId",
        api_key_name as "x_ApiKeyName",
        line_item as "x_LineItem",
        is_line_item_parsed as "x_IsLineItemParsed",
        quantity_unit as "x_QuantityUnit",
        adjustment_kind as "x_AdjustmentKind",
        charge_cost as "x_UnblendedCost"
    from unit_priced
)

select * from final
