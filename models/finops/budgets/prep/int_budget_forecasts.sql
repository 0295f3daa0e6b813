{#-
    Forecasts of each budget's period total as they could be made at the end of each complete day:
    one row per budget and complete UTC day (its period is the budget's month, quarter or year
    containing the day). The three methods are in the `budget_forecasts` macro, shared with
    `benchmarks/forecast_backtest.py`, which measures them on the simulated organizations.
-#}

with

int_budget_spend_daily as (

    select * from {{ ref('int_budget_spend_daily') }}

),

complete_days as (

    select
        budget_id,
        budget_period,
        spend_date,
        day_number,
        cost_usd,
        data_first_date
    from int_budget_spend_daily
    where is_complete_day

),

forecasts as (

    {{ budget_forecasts('complete_days') }}

),

final as (

    select * from forecasts

)

select * from final
