{#- Month-end (or quarter-, year-end) forecasts of a budget's spend, three methods side by side.

    `daily_spend`: a relation or CTE name with one row per budget_id and complete UTC day, dense
    (days without spend are 0) from the first day data exists, and the columns budget_id,
    budget_period ('month', 'quarter' or 'year'), spend_date, day_number
    (`anomalies_day_number(spend_date)`), cost_usd and data_first_date.

    Returns one row per budget_id, period and day of that period present in `daily_spend`, with
    the forecast of the period's total as it could have been made at the end of that day:
      forecast_run_rate_usd    linear run-rate: period to date / days elapsed x days in the period;
      forecast_trailing_7d_usd period to date + remaining days x the trailing 7-day average;
      forecast_weekday_28d_usd period to date + for each remaining day, the average of the same
                               weekday over the trailing 28 days (4 of each weekday), so quiet
                               weekends ahead are forecast as quiet.
    A method gives null until it has the data it needs: the run-rate `budget_forecast_min_days`
    days of the period, the trailing 7-day average 7 days of data, the weekday method 28 days. -#}
{% macro budget_forecasts(daily_spend) -%}
    {{ return(adapter.dispatch('budget_forecasts', 'openai_finops')(daily_spend)) }}
{%- endmacro %}

{% macro default__budget_forecasts(daily_spend) -%}
{%- set min_period_days = var('budget_forecast_min_days', 7) -%}
with

forecast_input as (

    select * from {{ daily_spend }}

),

forecast_periods as (

    select
        budget_id,
        budget_period,
        spend_date,
        day_number,
        cost_usd,
        data_first_date,
        {{ budget_period_start('budget_period', 'spend_date') }} as period_start_date
    from forecast_input

),

forecast_period_bounds as (

    select
        *,
        {{ budget_period_end('budget_period', 'period_start_date') }} as period_end_date
    from forecast_periods

),

forecast_running as (

    select
        *,
        {{ dbt.datediff('period_start_date', 'spend_date', 'day') }} + 1 as days_elapsed,
        {{ dbt.datediff('period_start_date', 'period_end_date', 'day') }} + 1 as period_days,
        {{ dbt.datediff('spend_date', 'period_end_date', 'day') }} as days_remaining,
        cast({{ dbt.datediff('data_first_date', 'spend_date', 'day') }} + 1 as {{ dbt.type_bigint() }}) as history_days,
        {{ anomalies_day_number('period_end_date') }} as period_end_day_number,
        sum(cost_usd) over (
            partition by budget_id, period_start_date
            order by spend_date
            rows between unbounded preceding and current row
        ) as cumulative_actual_usd,
        sum(cost_usd) over (
            partition by budget_id
            order by spend_date
            rows between 6 preceding and current row
        ) as trailing_7d_cost_usd
    from forecast_period_bounds

),

{#- For the weekday method each of the trailing 28 days u stands for its weekday: it is used once
    per remaining day d' with the same weekday, and each weekday has 4 such days in 28, so
    sum over u of cost(u) x (number of remaining days on u's weekday) / 4. -#}
forecast_weekday_remaining as (

    select
        forecast_running.budget_id,
        forecast_running.spend_date,
        sum(
            history.cost_usd
            * (
                floor((forecast_running.period_end_day_number - history.day_number) / 7.0)
                - floor((forecast_running.day_number - history.day_number) / 7.0)
            )
        ) / 4 as weekday_remaining_usd
    from forecast_running
    inner join forecast_input as history
        on
            forecast_running.budget_id = history.budget_id
            and history.day_number between forecast_running.day_number - 27 and forecast_running.day_number
    group by forecast_running.budget_id, forecast_running.spend_date

),

forecast_final as (

    select
        forecast_running.budget_id,
        forecast_running.budget_period,
        forecast_running.period_start_date,
        forecast_running.period_end_date,
        forecast_running.spend_date,
        forecast_running.days_elapsed,
        forecast_running.period_days,
        forecast_running.days_remaining,
        forecast_running.history_days,
        cast(forecast_running.cost_usd as decimal(38, 6)) as cost_usd,
        cast(forecast_running.cumulative_actual_usd as decimal(38, 6)) as cumulative_actual_usd,
        cast(forecast_running.trailing_7d_cost_usd as decimal(38, 6)) as trailing_7d_cost_usd,
        case
            when forecast_running.days_elapsed >= {{ min_period_days }}
                then cast(
                    forecast_running.cumulative_actual_usd * forecast_running.period_days
                    / forecast_running.days_elapsed as decimal(38, 6)
                )
        end as forecast_run_rate_usd,
        case
            when forecast_running.history_days >= 7
                then cast(
                    forecast_running.cumulative_actual_usd
                    + forecast_running.trailing_7d_cost_usd * forecast_running.days_remaining / 7
                    as decimal(38, 6)
                )
        end as forecast_trailing_7d_usd,
        case
            when forecast_running.history_days >= 28
                then cast(
                    forecast_running.cumulative_actual_usd + forecast_weekday_remaining.weekday_remaining_usd
                    as decimal(38, 6)
                )
        end as forecast_weekday_28d_usd
    from forecast_running
    left join forecast_weekday_remaining
        on
            forecast_running.budget_id = forecast_weekday_remaining.budget_id
            and forecast_running.spend_date = forecast_weekday_remaining.spend_date

)

select * from forecast_final
{%- endmacro %}

{#- The forecast column of a method name, validated: the default method is a var users may set. -#}
{% macro budget_forecast_column(method) -%}
    {%- set columns = {
        'run_rate': 'forecast_run_rate_usd',
        'trailing_7d': 'forecast_trailing_7d_usd',
        'weekday_28d': 'forecast_weekday_28d_usd',
    } -%}
    {%- if method not in columns -%}
        {{ exceptions.raise_compiler_error(
            "budget_forecast_method must be one of run_rate, trailing_7d, weekday_28d; got " ~ method
        ) }}
    {%- endif -%}
    {{ return(columns[method]) }}
{%- endmacro %}

{#- Days of data the method needs before it forecasts anything. -#}
{% macro budget_forecast_min_history(method) -%}
    {%- set needs = {
        'run_rate': var('budget_forecast_min_days', 7),
        'trailing_7d': 7,
        'weekday_28d': 28,
    } -%}
    {{ return(needs[method]) }}
{%- endmacro %}

{#- First day of the budget period ('month', 'quarter' or 'year', a column) containing a date. -#}
{% macro budget_period_start(period_column, date_expression) -%}
    cast(
        case {{ period_column }}
            when 'quarter' then {{ dbt.date_trunc('quarter', date_expression) }}
            when 'year' then {{ dbt.date_trunc('year', date_expression) }}
            else {{ dbt.date_trunc('month', date_expression) }}
        end as date
    )
{%- endmacro %}

{#- Last day of the budget period that starts on `start_expression`. -#}
{% macro budget_period_end(period_column, start_expression) -%}
    {{ anomalies_add_days(
        dbt.dateadd(
            'month',
            "case " ~ period_column ~ " when 'quarter' then 3 when 'year' then 12 else 1 end",
            start_expression,
        ),
        -1,
    ) }}
{%- endmacro %}

{#- The n-th (1-based) `;`-separated part of a text, '' past the last; `part_number` may be a
    column, which dbt.split_part's PostgreSQL override does not accept. -#}
{% macro budgets_split_part(string_text, delimiter_text, part_number) -%}
    {{ return(adapter.dispatch('budgets_split_part', 'openai_finops')(string_text, delimiter_text, part_number)) }}
{%- endmacro %}

{% macro default__budgets_split_part(string_text, delimiter_text, part_number) -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro %}

{#- True when a budget period is not covered from its first day: the organization's costs are
    loaded from `loaded_from` (the loader's first day read, else the first day with a cost), later
    than the period's start, and the organization existed before then (`organization_start`, the
    day of its first project; null when unknown). mart_budget_status says "not enough data" for
    such a period, and the backtest (int_budget_forecast_errors) leaves it out. -#}
{% macro budget_is_missing_period_start(loaded_from, period_start, organization_start) -%}
    {{ loaded_from }} > {{ period_start }}
    and (
        {{ organization_start }} is null
        or {{ loaded_from }} > {{ organization_start }}
    )
{%- endmacro %}

{#- The edges of the forecast band: the forecast of the period's total times (1 - error) and
    (1 + error), `relative_error` being the backtested RMS relative error of the method at that many
    days remaining (int_budget_forecast_errors). Neither edge is below the actual to date: spend
    already billed cannot be taken back (the forecast itself can be below it when the partial
    latest day outspent its projection; the band is then never upside down). mart_budget_status and
    mart_budget_daily (the cone's end) both call these, so the two agree to the last digit. -#}
{% macro budget_forecast_band_low(forecast, relative_error, actual_to_date) -%}
    {{ budget_at_least(forecast ~ ' * (1 - ' ~ relative_error ~ ')', actual_to_date) }}
{%- endmacro %}

{% macro budget_forecast_band_high(forecast, relative_error, actual_to_date) -%}
    {{ budget_at_least(forecast ~ ' * (1 + ' ~ relative_error ~ ')', actual_to_date) }}
{%- endmacro %}

{#- `amount`, or `floor_amount` when that is larger, as decimal(38, 6); null when `amount` is null
    (a case, not greatest(), whose handling of nulls differs between engines). -#}
{% macro budget_at_least(amount, floor_amount) -%}
    cast(
        case
            when {{ amount }} < {{ floor_amount }} then {{ floor_amount }}
            else {{ amount }}
        end as decimal(38, 6)
    )
{%- endmacro %}
