{#-
    Burn-down of each budget: one row per budget and UTC day, from the organization's first loaded
    day to the end of the budget period that contains the latest loaded day. Past days carry the
    actual spend; days after the last complete day carry the default method's projection, so that
    `projected_cumulative_usd` on the period's last day is the forecast of the period's total.

    Around the projection, a cone: from the last complete day's cumulative actual it widens linearly
    to the forecast band of mart_budget_status on the period's last day (the same macros,
    `budget_forecast_band_low` and `_high`, so the two agree exactly); null without a backtest at
    the as-of day's days remaining (int_budget_forecast_errors).
-#}
{%- set method = var('budget_forecast_method', 'weekday_28d') -%}
{%- set forecast_column = budget_forecast_column(method) -%}
{%- set min_history_days = budget_forecast_min_history(method) -%}

with

budgets as (

    select * from {{ ref('budgets') }}

),

int_budget_spend_daily as (

    select * from {{ ref('int_budget_spend_daily') }}

),

int_budget_forecasts as (

    select * from {{ ref('int_budget_forecasts') }}

),

int_budget_forecast_errors as (

    select * from {{ ref('int_budget_forecast_errors') }}

),

budget_bounds as (

    select
        budget_id,
        budget_period,
        min(data_first_date) as data_first_date,
        max(spend_date) as latest_date,
        max(case when is_complete_day then spend_date end) as as_of_date
    from int_budget_spend_daily
    group by budget_id, budget_period

),

day_offsets as (

    select offset_number
    from ({{ anomalies_integers(10000) }}) as integers

),

spine as (

    select
        budget_bounds.budget_id,
        budget_bounds.data_first_date,
        budget_bounds.latest_date,
        budget_bounds.as_of_date,
        {{ anomalies_add_days('budget_bounds.data_first_date', 'day_offsets.offset_number') }} as spend_date
    from budget_bounds
    inner join day_offsets
        on day_offsets.offset_number <= {{ dbt.datediff(
            'budget_bounds.data_first_date',
            budget_period_end(
                'budget_bounds.budget_period',
                budget_period_start('budget_bounds.budget_period', 'budget_bounds.latest_date'),
            ),
            'day',
        ) }}

),

days as (

    select
        spine.*,
        budgets.budget_name,
        budgets.org_id,
        budgets.period as budget_period,
        budgets.amount as budget_amount_usd,
        {{ anomalies_day_number('spine.spend_date') }} as day_number,
        {{ budget_period_start('budgets.period', 'spine.spend_date') }} as period_start_date
    from spine
    inner join budgets
        on spine.budget_id = budgets.budget_id

),

days_in_period as (

    select
        *,
        {{ budget_period_end('budget_period', 'period_start_date') }} as period_end_date
    from days

),

-- the state at the last complete day, from which later days are projected
as_of_state as (

    select
        int_budget_forecasts.budget_id,
        int_budget_forecasts.period_start_date,
        int_budget_forecasts.cumulative_actual_usd,
        int_budget_forecasts.days_elapsed,
        int_budget_forecasts.history_days,
        int_budget_forecasts.trailing_7d_cost_usd
    from int_budget_forecasts
    inner join budget_bounds
        on
            int_budget_forecasts.budget_id = budget_bounds.budget_id
            and int_budget_forecasts.spend_date = budget_bounds.as_of_date

),

-- projected spend of each day after the last complete day, by the default method
projected_days as (

    select
        days_in_period.budget_id,
        days_in_period.spend_date,
        {% if method == 'run_rate' -%}
            case
                when
                    as_of_state.days_elapsed >= {{ min_history_days }}
                    and as_of_state.period_start_date = days_in_period.period_start_date
                    then as_of_state.cumulative_actual_usd / as_of_state.days_elapsed
            end
        {%- elif method == 'trailing_7d' -%}
            case
                when as_of_state.history_days >= {{ min_history_days }}
                    then as_of_state.trailing_7d_cost_usd / 7
            end
        {%- else -%}
            case
                when as_of_state.history_days >= {{ min_history_days }}
                    then (
                        select sum(history.cost_usd) / 4
                        from int_budget_spend_daily as history
                        where
                            history.budget_id = days_in_period.budget_id
                            and history.is_complete_day
                            and history.spend_date > {{ anomalies_add_days('days_in_period.as_of_date', -28) }}
                            and history.spend_date <= days_in_period.as_of_date
                            and mod(days_in_period.day_number - history.day_number, 7) = 0
                    )
            end
        {%- endif %} as projected_cost_usd
    from days_in_period
    left join as_of_state
        on days_in_period.budget_id = as_of_state.budget_id
    where days_in_period.spend_date > days_in_period.as_of_date

),

joined as (

    select
        days_in_period.*,
        int_budget_spend_daily.cost_usd,
        int_budget_spend_daily.is_complete_day,
        int_budget_forecasts.{{ forecast_column }} as forecast_period_end_usd,
        projected_days.projected_cost_usd,
        cast(
            {{ dbt.datediff('days_in_period.period_start_date', 'days_in_period.spend_date', 'day') }}
            + 1 as {{ dbt.type_bigint() }}
        ) as day_of_period,
        cast(
            {{ dbt.datediff('days_in_period.period_start_date', 'days_in_period.period_end_date', 'day') }}
            + 1 as {{ dbt.type_bigint() }}
        ) as period_days
    from days_in_period
    left join int_budget_spend_daily
        on
            days_in_period.budget_id = int_budget_spend_daily.budget_id
            and days_in_period.spend_date = int_budget_spend_daily.spend_date
    left join int_budget_forecasts
        on
            days_in_period.budget_id = int_budget_forecasts.budget_id
            and days_in_period.spend_date = int_budget_forecasts.spend_date
    left join projected_days
        on
            days_in_period.budget_id = projected_days.budget_id
            and days_in_period.spend_date = projected_days.spend_date

),

running as (

    select
        *,
        sum(cost_usd) over (
            partition by budget_id, period_start_date
            order by spend_date
            rows between unbounded preceding and current row
        ) as cumulative_actual_usd,
        sum(case when spend_date <= as_of_date then cost_usd else projected_cost_usd end) over (
            partition by budget_id, period_start_date
            order by spend_date
            rows between unbounded preceding and current row
        ) as projected_running_usd,
        -- a projection is only as good as its inputs: null once a projected day has none
        count(case when spend_date > as_of_date and projected_cost_usd is null then 1 end) over (
            partition by budget_id, period_start_date
            order by spend_date
            rows between unbounded preceding and current row
        ) as unprojected_days
    from joined

),

projected as (

    select
        {{ dbt.concat(['budget_id', "'@'", 'cast(spend_date as ' ~ dbt.type_string() ~ ')']) }} as budget_day_id,
        budget_id,
        budget_name,
        org_id,
        budget_period,
        period_start_date,
        period_end_date,
        spend_date,
        day_of_period,
        period_days,
        spend_date > latest_date as is_future_day,
        coalesce(is_complete_day, false) as is_complete_day,
        cast(budget_amount_usd as decimal(38, 6)) as budget_amount_usd,
        cast(budget_amount_usd * day_of_period / period_days as decimal(38, 6)) as budget_line_usd,
        cast(cost_usd as decimal(38, 6)) as cost_usd,
        cast(case when spend_date <= latest_date then cumulative_actual_usd end as decimal(38, 6))
            as cumulative_actual_usd,
        cast(forecast_period_end_usd as decimal(38, 6)) as forecast_period_end_usd,
        cast(case when unprojected_days = 0 then projected_running_usd end as decimal(38, 6))
            as projected_cumulative_usd,
        '{{ method }}' as forecast_method,
        as_of_date
    from running

),

-- what mart_budget_status reads of the period: the forecast (the projection's last day) and the
-- actual to date (the sum of the days' costs)
period_totals as (

    select
        *,
        max(case when spend_date = period_end_date then projected_cumulative_usd end) over (
            partition by budget_id, period_start_date
        ) as period_forecast_usd,
        sum(cost_usd) over (partition by budget_id, period_start_date) as period_actual_to_date_usd,
        cast(
            {{ dbt.datediff('as_of_date', 'spend_date', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as days_since_as_of,
        cast(
            {{ dbt.datediff('as_of_date', 'period_end_date', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as days_as_of_to_period_end
    from projected

),

band_edges as (

    select
        period_totals.*,
        {{ budget_forecast_band_low(
            'period_totals.period_forecast_usd',
            'int_budget_forecast_errors.rms_relative_error',
            'period_totals.period_actual_to_date_usd',
        ) }} as forecast_low_usd,
        {{ budget_forecast_band_high(
            'period_totals.period_forecast_usd',
            'int_budget_forecast_errors.rms_relative_error',
            'period_totals.period_actual_to_date_usd',
        ) }} as forecast_high_usd
    from period_totals
    -- projected days only: the backtest of forecasts made with as many days left as the as-of day has
    left join int_budget_forecast_errors
        on
            period_totals.budget_period = int_budget_forecast_errors.budget_period
            and period_totals.days_as_of_to_period_end = int_budget_forecast_errors.days_remaining
            and period_totals.spend_date > period_totals.as_of_date

),

final as (

    select
        budget_day_id,
        budget_id,
        budget_name,
        org_id,
        budget_period,
        period_start_date,
        period_end_date,
        spend_date,
        day_of_period,
        period_days,
        is_future_day,
        is_complete_day,
        budget_amount_usd,
        budget_line_usd,
        cost_usd,
        cumulative_actual_usd,
        forecast_period_end_usd,
        projected_cumulative_usd,
        forecast_method,
        cast(
            projected_cumulative_usd
            - (period_forecast_usd - forecast_low_usd) * days_since_as_of / nullif(days_as_of_to_period_end, 0)
            as decimal(38, 6)
        ) as projected_low_cumulative_usd,
        cast(
            projected_cumulative_usd
            + (forecast_high_usd - period_forecast_usd) * days_since_as_of / nullif(days_as_of_to_period_end, 0)
            as decimal(38, 6)
        ) as projected_high_cumulative_usd
    from band_edges

)

select * from final
