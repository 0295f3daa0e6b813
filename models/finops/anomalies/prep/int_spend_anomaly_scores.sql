{#-
    Anomaly scores: one row per spend series (int_spend_daily) and complete UTC day, the first
    stage of the spend anomaly detection (then int_spend_anomaly_flags, then mart_spend_anomalies).

    Seasonal rule (series with mostly non-zero days), on y = ln(1 + regular cost):
      expected  = median of y on the same weekday over the previous `anomaly_baseline_weeks` weeks;
      residual  = y - expected, for every day;
      scale     = 1.4826 x median absolute deviation of the residuals of the previous
                  `anomaly_window_days` days (the scored day left out), at least `anomaly_min_scale`
                  (0.15: a day's API spend moves +/-15% for no reason, so a flag needs at least
                  +69% / -41% at the default threshold however steady the series was);
      score     = residual / scale; the day is an excursion when |score| > `anomaly_score_threshold`
                  and the dollar impact passes `anomaly_min_impact_usd` (the flags model adds the
                  guards that make an excursion an anomaly).
      A day is judged once the series has `anomaly_min_history_days` of history, an expected value
      from `anomaly_min_baseline_weeks` weeks and `anomaly_min_window_residuals` residuals.
    Sparse rule (more than `anomaly_sparse_zero_share` of the window's days are 0): expected is the
    window's mean; the flags model asks for a spike over the window's largest day.
    New series: the first day of a series that starts after its level's first day (plus
    `anomaly_new_series_grace_days`): expected 0.
    Intermittent line items (see int_spend_daily) are left out of the regular cost and judged in
    their own project_line_item series by the sparse rule.
    Medians are aggregates over self-joined history (not window medians, which are not portable).

    Incremental (macros/spend_anomalies_incremental.sql): a run rescores, per organization, the days
    from `lookback_days` before its latest scored day on; every row carries `settings_key`, the
    settings it was scored with, and a change of settings rescores every day.
-#}
{{ config(
    materialized='incremental',
    unique_key=['org_id', 'spend_date'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
) }}
{%- set settings = spend_anomalies_settings() -%}

with

int_spend_daily as (

    select * from {{ ref('int_spend_daily') }}
    where {{ spend_anomalies_rescored('org_id', 'spend_date', spend_anomalies_reach_days()) }}

),

week_offsets as (

    select offset_number * 7 as days_back
    from ({{ anomalies_integers(settings.baseline_weeks + 1) }}) as integers
    where offset_number >= 1

),

window_offsets as (

    select offset_number as days_back
    from ({{ anomalies_integers(settings.window_days + 1) }}) as integers
    where offset_number >= 1

),

complete_days as (

    select
        series_level,
        series_id,
        org_id,
        project_id,
        model,
        api_key_id,
        user_id,
        spend_date,
        day_number,
        cost_usd,
        series_first_date,
        level_first_date,
        -- the seasonal rule judges regular spend; intermittent charges have their own series
        case
            when series_level = 'project_line_item' then cost_usd
            else cost_usd - intermittent_cost_usd
        end as scored_cost_usd,
        cast(
            {{ dbt.datediff('series_first_date', 'spend_date', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as history_days
    from int_spend_daily
    where is_complete_day

),

series_days as (

    select
        *,
        {{ anomalies_ln1p('scored_cost_usd') }} as log_cost
    from complete_days

),

same_weekday_history as (

    select
        scored.series_id,
        scored.day_number,
        history.log_cost
    from series_days as scored
    cross join week_offsets
    inner join series_days as history
        on
            scored.series_id = history.series_id
            and history.day_number = scored.day_number - week_offsets.days_back
    -- residuals are needed for the windows of the rescored days
    where {{ spend_anomalies_rescored('scored.org_id', 'scored.spend_date', settings.window_days) }}

),

baselines as (

    select
        series_id,
        day_number,
        {{ median('log_cost') }} as baseline_log_cost,
        count(*) as baseline_weeks
    from same_weekday_history
    group by series_id, day_number

),

residuals as (

    select
        series_days.series_id,
        series_days.day_number,
        series_days.log_cost - baselines.baseline_log_cost as residual
    from series_days
    inner join baselines
        on
            series_days.series_id = baselines.series_id
            and series_days.day_number = baselines.day_number
    where baselines.baseline_weeks >= {{ settings.min_baseline_weeks }}

),

trailing_window as (

    select
        scored.series_id,
        scored.day_number,
        history.scored_cost_usd,
        residuals.residual,
        scored_residuals.residual as scored_residual,
        scored.scored_cost_usd as day_scored_cost_usd
    from series_days as scored
    cross join window_offsets
    inner join series_days as history
        on
            scored.series_id = history.series_id
            and history.day_number = scored.day_number - window_offsets.days_back
    left join residuals
        on
            history.series_id = residuals.series_id
            and history.day_number = residuals.day_number
    left join residuals as scored_residuals
        on
            scored.series_id = scored_residuals.series_id
            and scored.day_number = scored_residuals.day_number
    where {{ spend_anomalies_rescored('scored.org_id', 'scored.spend_date') }}

),

window_stats as (

    select
        series_id,
        day_number,
        count(*) as window_days,
        sum(case when scored_cost_usd = 0 then 1 else 0 end) as window_zero_days,
        max(scored_cost_usd) as window_max_cost_usd,
        avg(scored_cost_usd) as window_mean_cost_usd,
        count(residual) as window_residuals,
        sum(case when residual >= scored_residual then 1 else 0 end) as window_days_as_high,
        sum(case when residual <= scored_residual then 1 else 0 end) as window_days_as_low,
        {{ median('residual') }} as residual_median
    from trailing_window
    group by series_id, day_number

),

window_spreads as (

    select
        trailing_window.series_id,
        trailing_window.day_number,
        {{ median('abs(trailing_window.residual - window_stats.residual_median)') }} as residual_mad
    from trailing_window
    inner join window_stats
        on
            trailing_window.series_id = window_stats.series_id
            and trailing_window.day_number = window_stats.day_number
    where trailing_window.residual is not null
    group by trailing_window.series_id, trailing_window.day_number

),

measured as (

    select
        series_days.*,
        baselines.baseline_log_cost,
        window_stats.window_max_cost_usd,
        window_stats.window_mean_cost_usd,
        window_stats.residual_median,
        coalesce(baselines.baseline_weeks, 0) as baseline_weeks,
        coalesce(window_stats.window_days, 0) as window_days,
        coalesce(window_stats.window_zero_days, 0) as window_zero_days,
        coalesce(window_stats.window_residuals, 0) as window_residuals,
        coalesce(window_stats.window_days_as_high, 0) as window_days_as_high,
        coalesce(window_stats.window_days_as_low, 0) as window_days_as_low,
        greatest(1.4826 * window_spreads.residual_mad, {{ settings.min_scale }}) as scale,
        coalesce(
            window_stats.window_zero_days > {{ settings.sparse_zero_share }} * window_stats.window_days,
            false
        ) as is_sparse,
        (
            series_days.history_days = 0
            and series_days.series_first_date
            > {{ anomalies_add_days('series_days.level_first_date', settings.new_series_grace_days) }}
        ) as is_new_series
    from series_days
    left join baselines
        on
            series_days.series_id = baselines.series_id
            and series_days.day_number = baselines.day_number
    left join window_stats
        on
            series_days.series_id = window_stats.series_id
            and series_days.day_number = window_stats.day_number
    left join window_spreads
        on
            series_days.series_id = window_spreads.series_id
            and series_days.day_number = window_spreads.day_number
    where {{ spend_anomalies_rescored('series_days.org_id', 'series_days.spend_date') }}

),

scored as (

    select
        *,
        case
            when is_new_series then 'new_series'
            when is_sparse then 'sparse'
            else 'seasonal'
        end as detection_rule,
        -- expected of the judged spend, plus the day's intermittent charges taken as they are
        cost_usd - scored_cost_usd + case
            when is_new_series then 0
            when is_sparse then window_mean_cost_usd
            else {{ anomalies_expm1('baseline_log_cost') }}
        end as expected_cost_usd,
        case
            when not is_new_series and not is_sparse
                then (log_cost - baseline_log_cost) / scale
        end as score,
        (
            history_days >= {{ settings.min_history_days }}
            and baseline_weeks >= {{ settings.min_baseline_weeks }}
            and window_residuals >= {{ settings.min_window_residuals }}
        ) as has_enough_history
    from measured

),

with_impact as (

    select
        *,
        cost_usd - expected_cost_usd as impact_usd
    from scored

),

-- a day past the seasonal threshold and floor: the raw signal, before the guards
excursions as (

    select
        *,
        coalesce(
            detection_rule = 'seasonal'
            and has_enough_history
            and abs(score) > {{ settings.threshold }}
            and abs(impact_usd) >= {{ settings.min_impact_usd }},
            false
        ) as is_excursion
    from with_impact

),

final as (

    select
        series_level,
        series_id,
        org_id,
        project_id,
        model,
        api_key_id,
        user_id,
        spend_date,
        day_number,
        cost_usd,
        scored_cost_usd,
        expected_cost_usd,
        impact_usd,
        detection_rule,
        score,
        is_excursion,
        has_enough_history,
        scale,
        baseline_log_cost,
        history_days,
        baseline_weeks,
        window_days,
        window_zero_days,
        window_residuals,
        window_days_as_high,
        window_days_as_low,
        window_max_cost_usd,
        window_mean_cost_usd,
        '{{ spend_anomalies_settings_key() }}' as settings_key
    from excursions

)

select * from final
