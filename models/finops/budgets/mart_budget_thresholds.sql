{#-
    Alert thresholds per budget period: one row per budget, period and threshold, with the day
    actual spend first reached it and the day the forecast of the period's total first did.
-#}

with

int_budget_thresholds as (

    select * from {{ ref('int_budget_thresholds') }}

),

mart_budget_daily as (

    select * from {{ ref('mart_budget_daily') }}

),

periods as (

    select distinct
        budget_id,
        period_start_date,
        budget_amount_usd
    from mart_budget_daily

),

period_thresholds as (

    select
        periods.budget_id,
        periods.period_start_date,
        int_budget_thresholds.threshold_pct,
        cast(periods.budget_amount_usd * int_budget_thresholds.threshold_pct / 100 as decimal(38, 6))
            as threshold_usd
    from periods
    inner join int_budget_thresholds
        on periods.budget_id = int_budget_thresholds.budget_id

),

crossings as (

    select
        period_thresholds.budget_id,
        period_thresholds.period_start_date,
        period_thresholds.threshold_pct,
        period_thresholds.threshold_usd,
        min(
            case
                when mart_budget_daily.cumulative_actual_usd >= period_thresholds.threshold_usd
                    then mart_budget_daily.spend_date
            end
        ) as actual_crossed_on,
        min(
            case
                when mart_budget_daily.forecast_period_end_usd >= period_thresholds.threshold_usd
                    then mart_budget_daily.spend_date
            end
        ) as forecast_crossed_on,
        min(
            case
                when
                    mart_budget_daily.is_future_day
                    and mart_budget_daily.projected_cumulative_usd >= period_thresholds.threshold_usd
                    then mart_budget_daily.spend_date
            end
        ) as projected_crossing_date
    from period_thresholds
    inner join mart_budget_daily
        on
            period_thresholds.budget_id = mart_budget_daily.budget_id
            and period_thresholds.period_start_date = mart_budget_daily.period_start_date
    group by
        period_thresholds.budget_id,
        period_thresholds.period_start_date,
        period_thresholds.threshold_pct,
        period_thresholds.threshold_usd

),

final as (

    select
        {{ dbt.concat([
            'budget_id', "'@'", 'cast(period_start_date as ' ~ dbt.type_string() ~ ')',
            "'@'", 'cast(threshold_pct as ' ~ dbt.type_string() ~ ')',
        ]) }} as budget_threshold_id,
        budget_id,
        period_start_date,
        threshold_pct,
        threshold_usd,
        actual_crossed_on is not null as is_crossed_actual,
        actual_crossed_on,
        forecast_crossed_on is not null as is_crossed_forecast,
        forecast_crossed_on,
        projected_crossing_date
    from crossings

)

select * from final
