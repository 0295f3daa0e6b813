{#- Fails dbt build on any bad row of seeds/budgets.csv and names it in the log (`FAIL budgets
    row budget_id=...: ...`): an unknown organization, project or API key, an amount that is not
    positive, an unknown period, a currency other than the bill's, or thresholds that are not
    `;`-separated positive numbers. -#}
{{ config(severity='error') }}

{%- set problems_sql -%}
-- FOCUS column names are quoted so that they keep their case on PostgreSQL; sqlfluff's DuckDB
-- dialect (case-insensitive) calls those quotes unnecessary.
-- noqa: disable=references.quoting

with

budgets as (
    select * from {{ ref('budgets') }}
),

fct_openai_cost as (
    select * from {{ ref('fct_openai_cost') }}
),

dim_openai_projects as (
    select * from {{ ref('dim_openai_projects') }}
),

dim_openai_api_keys as (
    select * from {{ ref('dim_openai_api_keys') }}
),

organizations as (
    select
        "BillingAccountId" as org_id,
        max("BillingCurrency") as currency
    from fct_openai_cost
    group by "BillingAccountId"
),

checked as (
    select
        budgets.budget_id,
        case
            when organizations.org_id is null
                then 'unknown org_id ' || coalesce(budgets.org_id, '(empty)')
            when budgets.project_id is not null and dim_openai_projects.project_id is null
                then 'unknown project_id ' || budgets.project_id || ' in ' || budgets.org_id
            when budgets.api_key_id is not null and dim_openai_api_keys.api_key_id is null
                then 'unknown api_key_id ' || budgets.api_key_id || ' in ' || budgets.org_id
            when budgets.amount is null or budgets.amount <= 0
                then 'amount must be positive, got ' || coalesce(cast(budgets.amount as {{ dbt.type_string() }}), '(empty)')
            when budgets.period is null or budgets.period not in ('month', 'quarter', 'year')
                then 'period must be month, quarter or year, got ' || coalesce(budgets.period, '(empty)')
            when upper(coalesce(budgets.currency, organizations.currency)) <> upper(organizations.currency)
                then 'currency ' || budgets.currency || ' is not the bill''s currency ' || organizations.currency
            when budgets.thresholds is not null
                and (
                    trim(translate(budgets.thresholds, '0123456789.; ', '')) <> ''
                    or budgets.thresholds like '%;;%'
                    or trim(translate(budgets.thresholds, '0.; ', '')) = ''
                )
                then 'thresholds must be positive percentages separated by ";", got ' || budgets.thresholds
        end as problem
    from budgets
    left join organizations
        on budgets.org_id = organizations.org_id
    left join dim_openai_projects
        on
            budgets.org_id = dim_openai_projects.org_id
            and budgets.project_id = dim_openai_projects.project_id
    left join dim_openai_api_keys
        on
            budgets.org_id = dim_openai_api_keys.org_id
            and budgets.api_key_id = dim_openai_api_keys.api_key_id
            and (budgets.project_id is null or budgets.project_id = dim_openai_api_keys.project_id)
),

problems as (
    select
        'budgets row budget_id=' || coalesce(budget_id, '(empty)') || ': ' || problem as problem
    from checked
    where problem is not null
)

select * from problems
{%- endset -%}

{%- if execute -%}
    {%- for row in run_query(problems_sql) -%}
        {{ log('FAIL ' ~ row[0], info=true) }}
    {%- endfor -%}
{%- endif %}

{{ problems_sql }}
