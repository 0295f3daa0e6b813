{#-
    Each budget's spend per UTC day: one row per budget and day, dense (days without spend are 0)
    from the organization's first loaded day to its latest. A budget's scope is its organization
    and, where set, one project, one API key and one model (exact `x_Model`); empty means all.
-#}
{#- A table: the anomaly mart and budget marts self-join it many times, the benchmarks read it. -#}
{{ config(materialized='table') }}
{%- set partial_latest_day = var('spend_latest_day_is_partial', true) -%}

-- FOCUS column names are quoted so that they keep their case on PostgreSQL; sqlfluff's DuckDB
-- dialect (case-insensitive) calls those quotes unnecessary.
-- noqa: disable=references.quoting
-- `model` is the column name of fct_openai_usage, fct_openai_cost (x_Model) and the price seed.
-- noqa: disable=references.keywords

with

budgets as (

    select * from {{ ref('budgets') }}

),

fct_openai_cost as (

    select * from {{ ref('fct_openai_cost') }}

),

costs as (

    select
        "BillingAccountId" as org_id,
        "SubAccountId" as project_id,
        "x_Model" as model,
        "x_ApiKeyId" as api_key_id,
        cast("ChargePeriodStart" as date) as spend_date,
        "BilledCost" as cost_usd
    from fct_openai_cost

),

org_days as (

    select
        org_id,
        min(spend_date) as data_first_date,
        max(spend_date) as latest_date
    from costs
    group by org_id

),

budget_costs as (

    select
        budgets.budget_id,
        costs.spend_date,
        sum(costs.cost_usd) as cost_usd
    from budgets
    inner join costs
        on
            budgets.org_id = costs.org_id
            and (budgets.project_id is null or budgets.project_id = costs.project_id)
            and (budgets.api_key_id is null or budgets.api_key_id = costs.api_key_id)
            and (budgets.model is null or budgets.model = costs.model)
    group by budgets.budget_id, costs.spend_date

),

day_offsets as (

    select offset_number
    from ({{ anomalies_integers(10000) }}) as integers

),

spine as (

    select
        budgets.budget_id,
        budgets.org_id,
        budgets.period as budget_period,
        org_days.data_first_date,
        org_days.latest_date,
        {{ anomalies_add_days('org_days.data_first_date', 'day_offsets.offset_number') }} as spend_date
    from budgets
    inner join org_days
        on budgets.org_id = org_days.org_id
    inner join day_offsets
        on day_offsets.offset_number <= {{ dbt.datediff('org_days.data_first_date', 'org_days.latest_date', 'day') }}

),

final as (

    select
        spine.budget_id,
        spine.org_id,
        spine.budget_period,
        spine.spend_date,
        {{ anomalies_day_number('spine.spend_date') }} as day_number,
        coalesce(budget_costs.cost_usd, 0) as cost_usd,
        spine.data_first_date,
        {% if partial_latest_day -%}
            spine.spend_date < spine.latest_date
        {%- else -%}
            true
        {%- endif %} as is_complete_day
    from spine
    left join budget_costs
        on
            spine.budget_id = budget_costs.budget_id
            and spine.spend_date = budget_costs.spend_date

)

select * from final
