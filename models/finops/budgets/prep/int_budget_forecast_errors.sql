{#-
    Backtest of the default forecast method on this warehouse's own history: one row per budget
    period kind (month, quarter, year) and days remaining in the period, with the root-mean-square
    relative error of the forecasts of the period's total made with that many days left, over every
    completed period of every budget of that kind. mart_budget_status and mart_budget_daily read it
    for the forecast band.

    A period counts when it is over and every day of it is complete, it is covered from its first
    day (the rule mart_budget_status applies, `budget_is_missing_period_start`) and its actual total
    is above 0 (a relative error needs one). Each day of it on which the method forecast gives one
    relative error, forecast / actual total - 1. Errors are pooled across budgets and organizations
    of the same period kind: the error is a property of the method on OpenAI spend, and one budget
    alone has too few periods to measure it on.
-#}
{#- A table: both budget marts read it, and it reads the forecasts' self-join once. -#}
{{ config(materialized='table') }}
{%- set method = var('budget_forecast_method', 'weekday_28d') -%}
{%- set forecast_column = budget_forecast_column(method) -%}

with

budgets as (

    select * from {{ ref('budgets') }}

),

int_budget_forecasts as (

    select * from {{ ref('int_budget_forecasts') }}

),

-- where each organization's costs are known from, as mart_budget_status reads it
organization_starts as (

    select * from {{ ref('int_budget_organization_starts') }}

),

periods as (

    select
        budget_id,
        budget_period,
        period_start_date,
        max(period_end_date) as period_end_date,
        min(spend_date) as first_loaded_date,
        max(spend_date) as last_complete_date,
        max(case when spend_date = period_end_date then cumulative_actual_usd end) as actual_total_usd
    from int_budget_forecasts
    group by budget_id, budget_period, period_start_date

),

period_coverage as (

    select
        periods.*,
        {{ budget_is_missing_period_start(
            'coalesce(organization_starts.costs_loaded_from_date, periods.first_loaded_date)',
            'periods.period_start_date',
            'organization_starts.organization_start_date',
        ) }} as is_missing_period_start
    from periods
    inner join budgets
        on periods.budget_id = budgets.budget_id
    left join organization_starts
        on budgets.org_id = organization_starts.org_id

),

completed_periods as (

    select
        budget_id,
        budget_period,
        period_start_date,
        actual_total_usd
    from period_coverage
    where
        last_complete_date = period_end_date
        and not is_missing_period_start
        and actual_total_usd > 0

),

relative_errors as (

    select
        completed_periods.budget_period,
        int_budget_forecasts.days_remaining,
        int_budget_forecasts.{{ forecast_column }} / nullif(completed_periods.actual_total_usd, 0) - 1
            as relative_error
    from completed_periods
    inner join int_budget_forecasts
        on
            completed_periods.budget_id = int_budget_forecasts.budget_id
            and completed_periods.period_start_date = int_budget_forecasts.period_start_date
    where int_budget_forecasts.{{ forecast_column }} is not null

),

final as (

    select
        budget_period,
        cast(days_remaining as {{ dbt.type_bigint() }}) as days_remaining,
        '{{ method }}' as forecast_method,
        cast(sqrt(avg(relative_error * relative_error)) as decimal(38, 9)) as rms_relative_error,
        cast(avg(relative_error) as decimal(38, 9)) as mean_relative_error,
        cast(count(*) as {{ dbt.type_bigint() }}) as backtest_periods
    from relative_errors
    group by budget_period, days_remaining

)

select * from final
