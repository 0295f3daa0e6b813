{#-
    Spend anomalies: one row per spend series and UTC day flagged as anomalous.

    Seasonal rule (series with mostly non-zero days), on y = ln(1 + regular cost):
      expected  = median of y on the same weekday over the previous `anomaly_baseline_weeks` weeks;
      residual  = y - expected, for every day;
      scale     = 1.4826 x median absolute deviation of the residuals of the previous
                  `anomaly_window_days` days (the scored day left out), at least `anomaly_min_scale`
                  (0.15: a day's API spend moves +/-15% for no reason, so a flag needs at least
                  +69% / -41% at the default threshold however steady the series was);
      score     = residual / scale; flagged when |score| > `anomaly_score_threshold`, the dollar
                  impact passes `anomaly_min_impact_usd`, at most `anomaly_max_similar_days` of
                  the window's days had a residual as extreme in the same direction (a burst that
                  recurs alerts once, not every time), and the day does not continue an episode:
                  none of the previous `anomaly_episode_days` days passed the threshold and the
                  floor in the same direction (a level shift or a stop alerts on its first day).
      A day is scored once the series has `anomaly_min_history_days` of history, an expected value
      from `anomaly_min_baseline_weeks` weeks and `anomaly_min_window_residuals` residuals.
    Sparse rule (more than `anomaly_sparse_zero_share` of the window's days are 0): a spike only, when
    the day exceeds `anomaly_sparse_spike_factor` x the window's largest day and the impact floor.
    New series: the first day of a series that starts after its level's first day (plus
    `anomaly_new_series_grace_days`) with at least `anomaly_new_series_min_usd` of spend.
    Intermittent line items (see int_spend_daily) are left out of the regular cost and judged in
    their own project_line_item series by the sparse rule.
    Child anomalies: a project day that its own rules leave alone is flagged (`child_anomaly`) when
    one of its flagged project_model or api_key series explains a move of the project in the same
    direction and is material for the project. The child's own rule has already told it from noise,
    so the project only asks whether it matters at the project's scale:
      seasonal or sparse child of at least medium severity (|score| at least
        `anomaly_child_min_score`, default 1.5 x the threshold; a sparse child, at least 3 x the
        dollar floor): its impact, added to the project's expected, would move the project's score
        by at least `anomaly_child_min_project_score` (default half the threshold);
      new_series child: its spend, less the drops of flagged siblings at its level that day (a key
        or model that replaces another is no new spend), is at least
        `anomaly_child_new_series_min_share` of the project's expected spend;
    and in both cases the project's own impact passes `anomaly_min_impact_usd`; a seasonal or sparse
    child also passes the project's own similar-days and episode guards (an ongoing shift alerts
    once).
    A small key's spike under the floor is not flagged at its own level, so it never raises its
    project either.

    Medians are aggregates over self-joined history (not window medians, which are not portable).
    For organization and project anomalies the child series (projects, models, API keys, users,
    line items) that moved the same way that day are ranked by their own impact. User series
    (project_user: a user's spend in a project, allocated by usage) are scored like the others but
    never flagged: OpenAI bills usage to the key, whose owner the user is, so a user's move is the
    move of their keys, flagged at api_key level already; as drivers they say whom to ask, and a
    user with several keys ranks above each of them. `top_user_id` is the user among the listed
    drivers who moved most.
    The defaults were set on the simulated organizations: benchmarks/anomaly_evaluation.py (the
    child-anomaly defaults on the demo seed 7; the child severity bar after seeds 11 and 13, where
    near-threshold children raised their projects falsely; checked on seed 17 without tuning; the
    episode guard and the 0.15 scale floor after the false flags of seeds 11, 13 and 17, whose
    scales sat at 0.10-0.13, checked on seeds 19 and 23, which had not been looked at).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ spend_anomalies_delete_rescored() }}",
    post_hook="{{ spend_anomalies_record_scored() }}",
) }}
{#- Incremental: a run rescores the days it can have changed (macros/spend_anomalies_incremental.sql). -#}
{%- set settings = spend_anomalies_settings() -%}
{%- set threshold = settings.threshold -%}
{%- set min_impact_usd = settings.min_impact_usd -%}
{#- Severity bands: multiples of the flag threshold (scored rules) or of the impact floor (rules
    without a score), set in spend_anomalies_settings(). -#}
{%- set high_score = settings.severity_high_score_factor * threshold -%}
{%- set medium_score = settings.severity_medium_score_factor * threshold -%}
{%- set high_impact_usd = settings.severity_high_impact_factor * min_impact_usd -%}
{%- set medium_impact_usd = settings.severity_medium_impact_factor * min_impact_usd -%}
{%- set baseline_weeks = settings.baseline_weeks -%}
{%- set min_baseline_weeks = settings.min_baseline_weeks -%}
{%- set window_days = settings.window_days -%}
{%- set min_window_residuals = settings.min_window_residuals -%}
{%- set min_history_days = settings.min_history_days -%}
{%- set min_scale = settings.min_scale -%}
{%- set sparse_zero_share = settings.sparse_zero_share -%}
{%- set sparse_spike_factor = settings.sparse_spike_factor -%}
{%- set new_series_min_usd = settings.new_series_min_usd -%}
{%- set new_series_grace_days = settings.new_series_grace_days -%}
{%- set max_similar_days = settings.max_similar_days -%}
{%- set max_drivers = settings.max_drivers -%}
{%- set child_min_project_score = settings.child_min_project_score -%}
{%- set child_min_score = settings.child_min_score -%}
{%- set child_new_series_min_share = settings.child_new_series_min_share -%}
{%- set episode_days = settings.episode_days -%}

with

int_spend_daily as (

    select * from {{ ref('int_spend_daily') }}
    where {{ spend_anomalies_rescored('org_id', 'spend_date', spend_anomalies_reach_days()) }}

),

week_offsets as (

    select offset_number * 7 as days_back
    from ({{ anomalies_integers(baseline_weeks + 1) }}) as integers
    where offset_number >= 1

),

window_offsets as (

    select offset_number as days_back
    from ({{ anomalies_integers(window_days + 1) }}) as integers
    where offset_number >= 1

),

episode_offsets as (

    select offset_number as days_back
    from ({{ anomalies_integers(episode_days + 1) }}) as integers
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
    -- residuals are needed for the windows of the rescored days and of the episode days before them
    where {{ spend_anomalies_rescored('scored.org_id', 'scored.spend_date', window_days + episode_days) }}

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
    where baselines.baseline_weeks >= {{ min_baseline_weeks }}

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
    -- scores are needed for the rescored days and the episode days before them
    where {{ spend_anomalies_rescored('scored.org_id', 'scored.spend_date', episode_days) }}

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
        greatest(1.4826 * window_spreads.residual_mad, {{ min_scale }}) as scale,
        coalesce(
            window_stats.window_zero_days > {{ sparse_zero_share }} * window_stats.window_days,
            false
        ) as is_sparse,
        (
            series_days.history_days = 0
            and series_days.series_first_date
            > {{ anomalies_add_days('series_days.level_first_date', new_series_grace_days) }}
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
    where {{ spend_anomalies_rescored('series_days.org_id', 'series_days.spend_date', episode_days) }}

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
            history_days >= {{ min_history_days }}
            and baseline_weeks >= {{ min_baseline_weeks }}
            and window_residuals >= {{ min_window_residuals }}
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
            and abs(score) > {{ threshold }}
            and abs(impact_usd) >= {{ min_impact_usd }},
            false
        ) as is_excursion
    from with_impact

),

-- an episode alerts once: a day that follows, within `anomaly_episode_days`, an excursion of its
-- series in the same direction continues it (the days after a level shift or a stop)
episode_days as (

    select
        scored.series_id,
        scored.day_number,
        max(case when earlier.is_excursion and earlier.score > 0 then 1 else 0 end) as follows_high,
        max(case when earlier.is_excursion and earlier.score < 0 then 1 else 0 end) as follows_low
    from excursions as scored
    cross join episode_offsets
    inner join excursions as earlier
        on
            scored.series_id = earlier.series_id
            and earlier.day_number = scored.day_number - episode_offsets.days_back
    group by scored.series_id, scored.day_number

),

with_episodes as (

    select
        excursions.*,
        coalesce(episode_days.follows_high, 0) = 1 as follows_high,
        coalesce(episode_days.follows_low, 0) = 1 as follows_low
    from excursions
    left join episode_days
        on
            excursions.series_id = episode_days.series_id
            and excursions.day_number = episode_days.day_number

),

flagged as (

    select
        *,
        case
            -- user series are scored to rank them as drivers, never flagged themselves
            when series_level = 'project_user' then false
            when detection_rule = 'new_series'
                then cost_usd >= {{ new_series_min_usd }}
            when detection_rule = 'sparse'
                then
                    has_enough_history
                    and scored_cost_usd > {{ sparse_spike_factor }} * window_max_cost_usd
                    and impact_usd >= {{ min_impact_usd }}
            else
                is_excursion
                and (
                    (score > 0 and window_days_as_high <= {{ max_similar_days }} and not follows_high)
                    or (
                        score < 0
                        and window_days_as_low <= {{ max_similar_days }}
                        and not follows_low
                        -- a day without spend is like any earlier day without spend
                        and not (scored_cost_usd = 0 and window_zero_days > 0)
                    )
                )
        end as is_anomaly
    from with_episodes

),

child_flags as (

    select
        org_id,
        project_id,
        series_level,
        day_number,
        detection_rule,
        score,
        impact_usd
    from flagged
    where
        is_anomaly
        and series_level in ('project_model', 'api_key')

),

-- flagged drops per project, level and day: what a new key or model may merely replace
sibling_drops as (

    select
        org_id,
        project_id,
        series_level,
        day_number,
        sum(impact_usd) as drop_usd
    from child_flags
    where impact_usd < 0
    group by org_id, project_id, series_level, day_number

),

material_children as (

    select
        projects.series_id,
        projects.day_number
    from flagged as projects
    inner join child_flags
        on
            projects.org_id = child_flags.org_id
            and projects.project_id = child_flags.project_id
            and projects.day_number = child_flags.day_number
    left join sibling_drops
        on
            child_flags.org_id = sibling_drops.org_id
            and child_flags.project_id = sibling_drops.project_id
            and child_flags.series_level = sibling_drops.series_level
            and child_flags.day_number = sibling_drops.day_number
    where
        projects.series_level = 'project'
        and not projects.is_anomaly
        and projects.detection_rule = 'seasonal'
        and projects.has_enough_history
        -- the project moved the way the child did, by at least the floor
        and projects.impact_usd * child_flags.impact_usd > 0
        and abs(projects.impact_usd) >= {{ min_impact_usd }}
        and (
            (
                child_flags.detection_rule = 'new_series'
                and child_flags.impact_usd + coalesce(sibling_drops.drop_usd, 0)
                >= {{ child_new_series_min_share }} * {{ anomalies_expm1('projects.baseline_log_cost') }}
            )
            or (
                child_flags.detection_rule <> 'new_series'
                -- a lower bar at the project asks more of the child: at least medium severity
                and (
                    abs(child_flags.score) >= {{ child_min_score }}
                    or (child_flags.score is null and abs(child_flags.impact_usd) >= {{ 3 * min_impact_usd }})
                )
                -- the project's own guards: a move it has made before in the window, or that
                -- continues its episode, alerts once
                and (
                    (
                        projects.impact_usd > 0
                        and projects.window_days_as_high <= {{ max_similar_days }}
                        and not projects.follows_high
                    )
                    or (
                        projects.impact_usd < 0
                        and projects.window_days_as_low <= {{ max_similar_days }}
                        and not projects.follows_low
                    )
                )
                and abs(
                    {{ anomalies_ln1p(
                        'greatest(' ~ anomalies_expm1('projects.baseline_log_cost') ~ ' + child_flags.impact_usd, 0)'
                    ) }}
                    - projects.baseline_log_cost
                ) / projects.scale >= {{ child_min_project_score }}
            )
        )
    group by projects.series_id, projects.day_number

),

anomalies as (

    select
        flagged.*,
        case
            when flagged.is_anomaly then flagged.detection_rule
            else 'child_anomaly'
        end as flagged_by
    from flagged
    left join material_children
        on
            flagged.series_id = material_children.series_id
            and flagged.day_number = material_children.day_number
    where flagged.is_anomaly or material_children.series_id is not null

),

drivers as (

    select
        anomalies.series_id,
        anomalies.day_number,
        children.series_level as driver_level,
        children.impact_usd as driver_impact_usd,
        coalesce(children.user_id, children.api_key_id, children.model, children.project_id) as driver_name,
        row_number() over (
            partition by anomalies.series_id, anomalies.day_number
            order by abs(children.impact_usd) desc, children.series_id
        ) as driver_rank
    from anomalies
    inner join flagged as children
        on
            anomalies.org_id = children.org_id
            and anomalies.day_number = children.day_number
            and (
                (
                    anomalies.series_level = 'org'
                    and children.series_level in (
                        'project', 'project_model', 'api_key', 'project_user', 'project_line_item'
                    )
                )
                or (
                    anomalies.series_level = 'project'
                    and children.series_level in ('project_model', 'api_key', 'project_user', 'project_line_item')
                    and anomalies.project_id = children.project_id
                )
            )
    -- only children that moved the same way as the anomaly explain it
    where
        (anomalies.impact_usd > 0 and children.impact_usd > 0)
        or (anomalies.impact_usd < 0 and children.impact_usd < 0)

),

driver_lists as (

    select
        series_id,
        day_number,
        {{ dbt.listagg(
            dbt.concat([
                'driver_level', "' '", 'driver_name', "' '",
                "case when driver_impact_usd >= 0 then '+' else '-' end", "'$'",
                'cast(cast(abs(driver_impact_usd) as decimal(18, 2)) as ' ~ dbt.type_string() ~ ')'
            ]),
            "'; '",
            'order by driver_rank',
        ) }} as drivers
    from drivers
    where driver_rank <= {{ max_drivers }}
    group by series_id, day_number

),

top_drivers as (

    select * from drivers
    where driver_rank = 1

),

-- the user among the listed drivers who drove the anomaly most: whom to ask (a user far down the
-- list, say $5 of a $400 spike on a service account's key, would point at the wrong person)
top_users as (

    select
        series_id,
        day_number,
        driver_name as user_id,
        driver_impact_usd,
        row_number() over (
            partition by series_id, day_number
            order by abs(driver_impact_usd) desc, driver_name
        ) as user_rank
    from drivers
    where
        driver_level = 'project_user'
        and driver_rank <= {{ max_drivers }}

),

final as (

    select
        {{ dbt.concat(['anomalies.series_id', "'@'", 'cast(anomalies.spend_date as ' ~ dbt.type_string() ~ ')']) }}
            as anomaly_id,
        anomalies.series_level,
        anomalies.series_id,
        anomalies.org_id,
        anomalies.project_id,
        anomalies.model,
        anomalies.api_key_id,
        anomalies.spend_date,
        case
            when anomalies.flagged_by = 'new_series' then 'new_series'
            when anomalies.impact_usd > 0 then 'spike'
            else 'drop'
        end as anomaly_type,
        case when anomalies.impact_usd > 0 then 'up' else 'down' end as direction,
        anomalies.flagged_by as detection_rule,
        cast(anomalies.cost_usd as decimal(38, 6)) as actual_cost_usd,
        cast(anomalies.expected_cost_usd as decimal(38, 6)) as expected_cost_usd,
        cast(anomalies.impact_usd as decimal(38, 6)) as impact_usd,
        case
            when anomalies.expected_cost_usd > 0
                then round(
                    cast(100 * anomalies.impact_usd / anomalies.expected_cost_usd as {{ dbt.type_numeric() }}), 1
                )
        end as impact_pct,
        round(cast(anomalies.score as {{ dbt.type_numeric() }}), 2) as score,
        case
            when anomalies.score is not null and abs(anomalies.score) >= {{ high_score }} then 'high'
            when anomalies.score is not null and abs(anomalies.score) >= {{ medium_score }} then 'medium'
            when anomalies.score is not null then 'low'
            when abs(anomalies.impact_usd) >= {{ high_impact_usd }} then 'high'
            when abs(anomalies.impact_usd) >= {{ medium_impact_usd }} then 'medium'
            else 'low'
        end as severity,
        anomalies.history_days,
        anomalies.baseline_weeks,
        top_drivers.driver_level as top_driver_level,
        top_drivers.driver_name as top_driver_name,
        cast(top_drivers.driver_impact_usd as decimal(38, 6)) as top_driver_impact_usd,
        driver_lists.drivers,
        top_users.user_id as top_user_id,
        cast(top_users.driver_impact_usd as decimal(38, 6)) as top_user_impact_usd
    from anomalies
    left join top_drivers
        on
            anomalies.series_id = top_drivers.series_id
            and anomalies.day_number = top_drivers.day_number
    left join driver_lists
        on
            anomalies.series_id = driver_lists.series_id
            and anomalies.day_number = driver_lists.day_number
    left join top_users
        on
            anomalies.series_id = top_users.series_id
            and anomalies.day_number = top_users.day_number
            and top_users.user_rank = 1
    where {{ spend_anomalies_rescored('anomalies.org_id', 'anomalies.spend_date') }}

)

select * from final
