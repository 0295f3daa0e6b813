{#- The team's cloud bills in FOCUS (macros/cloud_focus.sql reads them, off by default): one row
    per row of the files, FOCUS 1.0 to 1.4 mapped to 1.3 names, text parsed (null tokens, dates,
    exact decimals). Rows that break a FOCUS rule are kept: `x_HasRuleViolations` flags them and
    `x_RuleViolations` names each rule broken.
    A table, not a view like the rest of staging: a view would read the files again on every query,
    and DuckDB would resolve a relative `cloud_focus_path` against the directory of whoever queries
    it. A run reads the files as they are then (relative paths from the dbt project directory). -#}

{{ config(materialized='table') }}

{%- set columns = cloud_focus_columns() -%}
{%- set digest_columns = ['"x_SourceFile"'] -%}
{%- set parsers = {} -%}
{%- for column in columns -%}
    {%- set quoted = adapter.quote(column['name']) -%}
    {%- do digest_columns.append(quoted) -%}
    {%- if column['type'] in ('money', 'quantity') -%}
        {%- do parsers.update({column['name']: cloud_focus_decimal(quoted) | trim}) -%}
    {%- elif column['type'] == 'timestamp' -%}
        {%- do parsers.update({column['name']: cloud_focus_timestamp(quoted) | trim}) -%}
    {%- else -%}
        {%- do parsers.update({column['name']: quoted}) -%}
    {%- endif -%}
{%- endfor -%}
{%- set tolerance = var('cloud_focus_cost_tolerance', 0.000001) -%}
{%- set charge_categories = ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment'] -%}
{%- set charge_frequencies = ['One-Time', 'Recurring', 'Usage-Based'] -%}
{%- set service_categories = [
    'AI and Machine Learning', 'Analytics', 'Business Applications', 'Compute', 'Databases',
    'Developer Tools', 'Multicloud', 'Identity', 'Integration', 'Internet of Things',
    'Management and Governance', 'Media', 'Migration', 'Mobile', 'Networking', 'Security',
    'Storage', 'Web', 'Other'
] -%}
{#- The allowed values as SQL lists, one value a line (the rendered lists are long). -#}
{%- set one_a_line = "',\n" ~ ' ' * 20 ~ "'" -%}
{%- set list_start, list_end = "\n" ~ ' ' * 20 ~ "'", "'\n" ~ ' ' * 16 -%}
{%- set charge_categories_sql = list_start ~ charge_categories | join(one_a_line) ~ list_end -%}
{%- set charge_frequencies_sql = list_start ~ charge_frequencies | join(one_a_line) ~ list_end -%}
{%- set service_categories_sql = list_start ~ service_categories | join(one_a_line) ~ list_end -%}
{#- FOCUS Mandatory columns that must not be null (in every version 1.0 to 1.4). -#}
{%- set not_null = [
    'BilledCost', 'BillingAccountId', 'BillingCurrency', 'BillingPeriodEnd', 'BillingPeriodStart',
    'ChargeCategory', 'ChargePeriodEnd', 'ChargePeriodStart', 'ContractedCost', 'EffectiveCost',
    'InvoiceIssuerName', 'ListCost', 'ServiceCategory', 'ServiceName', 'ServiceProviderName'
] -%}

with

source_rows as (
    {{ cloud_focus_rows() }}
),

texts as (
    select
        {%- for column in columns %}
            {{ cloud_focus_text(adapter.quote(column['name'])) }} as {{ adapter.quote(column['name']) }},
        {%- endfor %}
        "x_SourceFile",
        "x_FocusVersion"
    from source_rows
),

parsed as (
    select
        {%- for column in columns %}
            {{ parsers[column['name']] }} as {{ adapter.quote(column['name']) }},
        {%- endfor %}
        "x_SourceFile",
        "x_FocusVersion",
        {#- Text that did not parse, per column: flagged as a format rule below. #}
        {%- for column in columns if column['type'] != 'string' %}
            {{ adapter.quote(column['name']) }} is not null and {{ parsers[column['name']] }} is null
                as {{ adapter.quote('unparsed_' ~ column['name']) }},
        {%- endfor %}
        {{ generate_surrogate_key(digest_columns) }} as row_digest
    from texts
),

checked as (
    select
        *,
        concat_ws(
            ', ',
            {%- for name in not_null %}
                case when {{ adapter.quote(name) }} is null then '{{ name }}:null' end,
            {%- endfor %}
            {%- for column in columns if column['type'] != 'string' %}
                case when {{ adapter.quote('unparsed_' ~ column['name']) }} then '{{ column["name"] }}:format' end,
            {%- endfor %}
            case
                when "ChargeCategory" not in ({{ charge_categories_sql }})
                    then 'ChargeCategory:allowed_values'
            end,
            case
                when "ChargeClass" != 'Correction' then 'ChargeClass:allowed_values'
            end,
            case
                when "ChargeFrequency" not in ({{ charge_frequencies_sql }})
                    then 'ChargeFrequency:allowed_values'
            end,
            case
                when "ServiceCategory" not in ({{ service_categories_sql }})
                    then 'ServiceCategory:allowed_values'
            end,
            case
                when length("BillingCurrency") != 3 or upper("BillingCurrency") != "BillingCurrency"
                    then 'BillingCurrency:format'
            end,
            case
                when "ChargePeriodEnd" <= "ChargePeriodStart" then 'ChargePeriodEnd:not_after_start'
            end,
            case
                when "BillingPeriodEnd" <= "BillingPeriodStart" then 'BillingPeriodEnd:not_after_start'
            end,
            case
                when "ChargePeriodStart" < "BillingPeriodStart" or "ChargePeriodStart" >= "BillingPeriodEnd"
                    then 'ChargePeriodStart:outside_billing_period'
            end,
            case
                when "RegionId" is null and "RegionName" is not null then 'RegionName:without_RegionId'
            end,
            case
                when
                    abs("ListCost" - "ListUnitPrice" * "PricingQuantity")
                    > {{ tolerance }}
                    then 'ListCost:not_unit_price_times_quantity'
            end,
            case
                when
                    abs("ContractedCost" - "ContractedUnitPrice" * "PricingQuantity")
                    > {{ tolerance }}
                    then 'ContractedCost:not_unit_price_times_quantity'
            end,
            case
                when "PricingUnit" is null and "PricingQuantity" is not null
                    then 'PricingUnit:null_with_quantity'
            end,
            case
                when "ConsumedUnit" is null and "ConsumedQuantity" is not null
                    then 'ConsumedUnit:null_with_quantity'
            end
        ) as rule_violations,
        row_number() over (partition by row_digest order by row_digest) as duplicate_number
    from parsed
),

final as (
    select
        {%- for column in columns %}
            {{ adapter.quote(column['name']) }},
        {%- endfor %}
        "x_SourceFile",
        "x_FocusVersion",
        {#- Identical rows are interchangeable, so numbering them in any order is deterministic. #}
        {{ dbt.concat(['row_digest', "'-'", 'cast(duplicate_number as ' ~ dbt.type_string() ~ ')']) }}
            as "x_SourceRowId",
        coalesce(rule_violations, '') != '' as "x_HasRuleViolations",
        case when rule_violations != '' then rule_violations end as "x_RuleViolations"
    from checked
)

select * from final
