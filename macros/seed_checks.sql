{#- The row checks of the seeds users edit (seeds/budgets.csv, seeds/billing_adjustments.csv).
    Each returns one row per problem with `problem` (the row and what is wrong with it) and
    `is_malformed`: a malformed row (bad amount, period, kind, thresholds, a duplicate) fails the
    build in tests/dbt/assert_*; a row naming an organization, project or key the warehouse has
    never seen warns in tests/dbt/warn_* (a budget set up before the first load is not an error). -#}

{% macro budgets_seed_problems() -%}
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

malformed as (
    select
        budgets.*,
        case
            when budgets.amount is null or budgets.amount <= 0
                then 'amount must be positive, got ' || coalesce(cast(budgets.amount as {{ dbt.type_string() }}), '(empty)')
            when budgets.period is null or budgets.period not in ('month', 'quarter', 'year')
                then 'period must be month, quarter or year, got ' || coalesce(budgets.period, '(empty)')
            when upper(coalesce(budgets.currency, organizations.currency, 'USD')) <> upper(coalesce(organizations.currency, 'USD'))
                then 'currency ' || budgets.currency || ' is not the bill''s currency ' || coalesce(organizations.currency, 'USD')
            when budgets.thresholds is not null
                and (
                    trim(translate(budgets.thresholds, '0123456789.; ', '')) <> ''
                    or budgets.thresholds like '%;;%'
                    or trim(translate(budgets.thresholds, '0.; ', '')) = ''
                )
                then 'thresholds must be positive percentages separated by ";", got ' || budgets.thresholds
        end as malformed_problem,
        organizations.org_id is not null as is_known_org
    from budgets
    left join organizations
        on budgets.org_id = organizations.org_id
),

checked as (
    select
        malformed.budget_id,
        malformed.malformed_problem is not null as is_malformed,
        coalesce(
            malformed.malformed_problem,
            case
                when not malformed.is_known_org
                    then 'unknown org_id ' || coalesce(malformed.org_id, '(empty)')
                    || ': no cost of it is loaded yet (check the id, or load it first)'
                when malformed.project_id is not null and dim_openai_projects.project_id is null
                    then 'unknown project_id ' || malformed.project_id || ' in ' || malformed.org_id
                when malformed.api_key_id is not null and dim_openai_api_keys.api_key_id is null
                    then 'unknown api_key_id ' || malformed.api_key_id || ' in ' || malformed.org_id
            end
        ) as problem
    from malformed
    left join dim_openai_projects
        on
            malformed.org_id = dim_openai_projects.org_id
            and malformed.project_id = dim_openai_projects.project_id
    left join dim_openai_api_keys
        on
            malformed.org_id = dim_openai_api_keys.org_id
            and malformed.api_key_id = dim_openai_api_keys.api_key_id
            and (malformed.project_id is null or malformed.project_id = dim_openai_api_keys.project_id)
)

select
    'budgets row budget_id=' || coalesce(budget_id, '(empty)') || ': ' || problem as problem,
    is_malformed
from checked
where problem is not null
{%- endmacro %}

{% macro billing_adjustments_seed_problems() -%}
with

billing_adjustments as (
    select * from {{ ref('billing_adjustments') }}
),

{# Organizations with loaded costs (not fct_openai_cost: it holds the adjustments themselves). -#}
organizations as (
    select distinct org_id
    from {{ ref('int_openai_costs_selected') }}
),

numbered as (
    select
        billing_adjustments.*,
        organizations.org_id is not null as is_known_org,
        count(*) over (
            partition by billing_adjustments.org_id, adjustment_date, project_id, description
        ) as duplicate_count
    from billing_adjustments
    left join organizations
        on billing_adjustments.org_id = organizations.org_id
),

checked as (
    select
        *,
        case
            when coalesce(kind, '') not in ('credit', 'refund', 'adjustment')
                then 'kind must be credit, refund or adjustment'
            when kind in ('credit', 'refund') and not amount_usd < 0
                then 'a credit or refund must be negative'
            when duplicate_count > 1
                then 'duplicate of another row (org_id, adjustment_date, project_id, description)'
            when adjustment_date is null
                then 'adjustment_date is empty'
        end as malformed_problem
    from numbered
)

select
    {{ dbt.concat([
        "'billing_adjustments row (org_id='", "coalesce(org_id, '')",
        "', adjustment_date='", "coalesce(cast(adjustment_date as " ~ dbt.type_string() ~ "), '')",
        "', project_id='", "coalesce(project_id, '')",
        "', description='", "coalesce(description, '')",
        "', amount_usd='", "coalesce(cast(amount_usd as " ~ dbt.type_string() ~ "), '')",
        "', kind='", "coalesce(kind, '')", "'): '",
        "coalesce(malformed_problem, 'unknown org_id: no cost of it is loaded yet (check the id, or load it first)')",
    ]) }} as problem,
    malformed_problem is not null as is_malformed
from checked
where malformed_problem is not null or not is_known_org
{%- endmacro %}

{#- The problems of one kind, each logged by the test as `<prefix> <problem>` so the log names the row. -#}
{% macro seed_problems_test(problems_sql, malformed, prefix) -%}
    {%- set selected -%}
        select problem from ({{ problems_sql }}) as problems
        where {{ 'is_malformed' if malformed else 'not is_malformed' }}
    {%- endset -%}
    {%- if execute -%}
        {%- for row in run_query(selected) -%}
            {{ log(prefix ~ ' ' ~ row[0], info=true) }}
        {%- endfor -%}
    {%- endif %}
    {{ selected }}
{%- endmacro %}
