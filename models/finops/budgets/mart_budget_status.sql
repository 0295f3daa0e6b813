{#-
    Budget status: one row per budget and budget period (month, quarter or year) from the
    organization's first loaded day to the current period, with actual spend to date, the
    forecast of the period's total by the default method, the thresholds crossed and a status:
    over (actual at or above the amount), at risk (forecast at or above it), else on track.

    A period is judged only on a whole history: when its loaded days start after the period's
    first day (and the organization existed then), its status is "not enough data" with the
    reason, and it has no forecast. Its actual to date stays (a lower bound).

    The forecast band: the forecast times (1 - e) and (1 + e), e the default method's root-mean-
    square relative error backtested on this warehouse's completed periods of the same kind with as
    many days remaining as the as-of day has (int_budget_forecast_errors); neither edge is below
    the actual to date. No band without a forecast or without such a backtest.
-#}
{%- set method = var('budget_forecast_method', 'weekday_28d') -%}
{%- set min_history_days = budget_forecast_min_history(method) -%}

with

budgets as (

    select * from {{ ref('budgets') }}

),

mart_budget_daily as (

    select * from {{ ref('mart_budget_daily') }}

),

int_budget_forecasts as (

    select * from {{ ref('int_budget_forecasts') }}

),

int_budget_forecast_errors as (

    select * from {{ ref('int_budget_forecast_errors') }}

),

mart_budget_thresholds as (

    select * from {{ ref('mart_budget_thresholds') }}

),

-- Where each organization's costs are known from: the first day the loader read (its state), else
-- the first day with a cost. A period that began before the organization's first project is
-- whole from that day on.
organization_starts as (

    select * from {{ ref('int_budget_organization_starts') }}

),

periods as (

    select
        budget_id,
        period_start_date,
        max(period_end_date) as period_end_date,
        max(period_days) as period_days,
        max(case when is_complete_day then spend_date end) as as_of_date,
        max(case when not is_future_day then spend_date end) as latest_date,
        min(case when not is_future_day then spend_date end) as first_loaded_date,
        max(case when is_future_day then 1 else 0 end) = 1 as is_current_period,
        sum(cost_usd) as actual_to_date_usd,
        max(case when spend_date = period_end_date then projected_cumulative_usd end) as forecast_usd
    from mart_budget_daily
    group by budget_id, period_start_date

),

history_at_as_of as (

    select
        budget_id,
        period_start_date,
        max(history_days) as history_days
    from int_budget_forecasts
    group by budget_id, period_start_date

),

threshold_summary as (

    select
        budget_id,
        period_start_date,
        max(case when is_crossed_actual then threshold_pct end) as highest_threshold_crossed_pct,
        max(case when is_crossed_forecast then threshold_pct end) as highest_forecast_threshold_crossed_pct,
        {{ dbt.listagg(
            dbt.concat([
                'cast(threshold_pct as ' ~ dbt.type_string() ~ ')', "'% '",
                "case when is_crossed_actual then 'actual ' || cast(actual_crossed_on as " ~ dbt.type_string() ~ ") "
                ~ "else 'forecast ' || cast(forecast_crossed_on as " ~ dbt.type_string() ~ ") end",
            ]),
            "'; '",
            'order by threshold_pct',
        ) }} as thresholds_crossed
    from mart_budget_thresholds
    where is_crossed_actual or is_crossed_forecast
    group by budget_id, period_start_date

),

joined as (

    select
        periods.*,
        budgets.budget_name,
        budgets.org_id,
        budgets.project_id,
        budgets.api_key_id,
        budgets.model,
        budgets.period as budget_period,
        budgets.currency,
        budgets.owner,
        threshold_summary.highest_threshold_crossed_pct,
        threshold_summary.highest_forecast_threshold_crossed_pct,
        threshold_summary.thresholds_crossed,
        cast(budgets.amount as decimal(38, 6)) as budget_amount_usd,
        coalesce(history_at_as_of.history_days, 0) as history_days,
        int_budget_forecast_errors.rms_relative_error as forecast_relative_error,
        int_budget_forecast_errors.backtest_periods as forecast_backtest_periods,
        greatest(
            periods.period_start_date,
            coalesce(organization_starts.costs_loaded_from_date, periods.first_loaded_date)
        ) as covered_from_date,
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
    left join history_at_as_of
        on
            periods.budget_id = history_at_as_of.budget_id
            and periods.period_start_date = history_at_as_of.period_start_date
    left join threshold_summary
        on
            periods.budget_id = threshold_summary.budget_id
            and periods.period_start_date = threshold_summary.period_start_date
    -- the backtest of forecasts made with as many days left as the as-of day has
    left join int_budget_forecast_errors
        on
            budgets.period = int_budget_forecast_errors.budget_period
            and {{ dbt.datediff('periods.as_of_date', 'periods.period_end_date', 'day') }}
            = int_budget_forecast_errors.days_remaining

),

covered as (

    select
        *,
        cast(
            {{ dbt.datediff('covered_from_date', 'latest_date', 'day') }}
            + 1 as {{ dbt.type_bigint() }}
        ) as loaded_days,
        forecast_usd is not null
        and not is_missing_period_start
        and forecast_relative_error is not null as has_forecast_band
    from joined

),

final as (

    select
        {{ dbt.concat(['budget_id', "'@'", 'cast(period_start_date as ' ~ dbt.type_string() ~ ')']) }}
            as budget_period_id,
        budget_id,
        budget_name,
        org_id,
        project_id,
        api_key_id,
        model,
        budget_period,
        period_start_date,
        period_end_date,
        is_current_period,
        as_of_date,
        latest_date,
        budget_amount_usd,
        currency,
        owner,
        covered_from_date as first_loaded_date,
        latest_date as last_loaded_date,
        loaded_days,
        period_days,
        round(cast(100.0 * loaded_days / period_days as {{ dbt.type_numeric() }}), 1) as period_covered_pct,
        not is_missing_period_start as is_period_start_loaded,
        cast(actual_to_date_usd as decimal(38, 6)) as actual_to_date_usd,
        cast(case when not is_missing_period_start then forecast_usd end as decimal(38, 6)) as forecast_usd,
        '{{ method }}' as forecast_method,
        forecast_usd is not null and not is_missing_period_start as has_forecast,
        history_days,
        {{ min_history_days }} as forecast_min_history_days,
        round(cast(100 * actual_to_date_usd / budget_amount_usd as {{ dbt.type_numeric() }}), 1) as actual_pct,
        case
            when not is_missing_period_start
                then round(cast(100 * forecast_usd / budget_amount_usd as {{ dbt.type_numeric() }}), 1)
        end as forecast_pct,
        highest_threshold_crossed_pct,
        highest_forecast_threshold_crossed_pct,
        thresholds_crossed,
        case
            when is_missing_period_start then 'not enough data'
            when actual_to_date_usd >= budget_amount_usd then 'over'
            when forecast_usd >= budget_amount_usd then 'at risk'
            else 'on track'
        end as status,
        case
            when is_missing_period_start
                then {{ dbt.concat([
                    "'costs are loaded from '", "cast(covered_from_date as " ~ dbt.type_string() ~ ")",
                    "' but the '", "budget_period", "' began '", "cast(period_start_date as " ~ dbt.type_string() ~ ")",
                    "' ('", "cast(loaded_days as " ~ dbt.type_string() ~ ")", "' of '",
                    "cast(period_days as " ~ dbt.type_string() ~ ")",
                    "' days loaded): load from its start with python -m loader --start '",
                    "cast(period_start_date as " ~ dbt.type_string() ~ ")",
                ]) }}
        end as status_reason,
        case
            when has_forecast_band then cast(100 * forecast_relative_error as decimal(38, 2))
        end as forecast_error_pct,
        case
            when has_forecast_band then cast(forecast_backtest_periods as {{ dbt.type_bigint() }})
        end as forecast_backtest_periods,
        case
            when has_forecast_band
                then {{ budget_forecast_band_low(
                    'forecast_usd', 'forecast_relative_error', 'actual_to_date_usd',
                ) }}
        end as forecast_low_usd,
        case
            when has_forecast_band
                then {{ budget_forecast_band_high(
                    'forecast_usd', 'forecast_relative_error', 'actual_to_date_usd',
                ) }}
        end as forecast_high_usd
    from covered

)

select * from final
