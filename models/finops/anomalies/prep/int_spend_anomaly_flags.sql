{#-
    Anomaly flags: one row per spend series and UTC day flagged as anomalous, with the rule that
    flagged it; the second stage of the spend anomaly detection, from int_spend_anomaly_scores.

    A seasonal excursion is an anomaly when at most `anomaly_max_similar_days` of the window's days
    had a residual as extreme in the same direction (a burst that recurs alerts once, not every
    time), and the day does not continue an episode: none of the previous `anomaly_episode_days`
    days was an excursion in the same direction (a level shift or a stop alerts on its first day).
    A sparse day is an anomaly when it exceeds `anomaly_sparse_spike_factor` x the window's largest
    day and the impact floor; a new series when its first day has `anomaly_new_series_min_usd`.
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
    project either. User series (project_user) are scored to rank drivers, never flagged.
    Rebuilt from the scores on every run: a few joins over the scored days, no medians.
-#}
{{ config(materialized='table') }}
{%- set settings = spend_anomalies_settings() -%}

with

scores as (

    select * from {{ ref('int_spend_anomaly_scores') }}

),

episode_offsets as (

    select offset_number as days_back
    from ({{ anomalies_integers(settings.episode_days + 1) }}) as integers
    where offset_number >= 1

),

-- an episode alerts once: a day that follows, within `anomaly_episode_days`, an excursion of its
-- series in the same direction continues it (the days after a level shift or a stop)
episode_days as (

    select
        scored.series_id,
        scored.day_number,
        max(case when earlier.is_excursion and earlier.score > 0 then 1 else 0 end) as follows_high,
        max(case when earlier.is_excursion and earlier.score < 0 then 1 else 0 end) as follows_low
    from scores as scored
    cross join episode_offsets
    inner join scores as earlier
        on
            scored.series_id = earlier.series_id
            and earlier.day_number = scored.day_number - episode_offsets.days_back
    group by scored.series_id, scored.day_number

),

with_episodes as (

    select
        scores.*,
        coalesce(episode_days.follows_high, 0) = 1 as follows_high,
        coalesce(episode_days.follows_low, 0) = 1 as follows_low
    from scores
    left join episode_days
        on
            scores.series_id = episode_days.series_id
            and scores.day_number = episode_days.day_number

),

flagged as (

    select
        *,
        case
            -- user series are scored to rank them as drivers, never flagged themselves
            when series_level = 'project_user' then false
            when detection_rule = 'new_series'
                then cost_usd >= {{ settings.new_series_min_usd }}
            when detection_rule = 'sparse'
                then
                    has_enough_history
                    and scored_cost_usd > {{ settings.sparse_spike_factor }} * window_max_cost_usd
                    and impact_usd >= {{ settings.min_impact_usd }}
            else
                is_excursion
                and (
                    (score > 0 and window_days_as_high <= {{ settings.max_similar_days }} and not follows_high)
                    or (
                        score < 0
                        and window_days_as_low <= {{ settings.max_similar_days }}
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
        and abs(projects.impact_usd) >= {{ settings.min_impact_usd }}
        and (
            (
                child_flags.detection_rule = 'new_series'
                and child_flags.impact_usd + coalesce(sibling_drops.drop_usd, 0)
                >= {{ settings.child_new_series_min_share }} * {{ anomalies_expm1('projects.baseline_log_cost') }}
            )
            or (
                child_flags.detection_rule <> 'new_series'
                -- a lower bar at the project asks more of the child: at least medium severity
                and (
                    abs(child_flags.score) >= {{ settings.child_min_score }}
                    or (child_flags.score is null and abs(child_flags.impact_usd) >= {{ 3 * settings.min_impact_usd }})
                )
                -- the project's own guards: a move it has made before in the window, or that
                -- continues its episode, alerts once
                and (
                    (
                        projects.impact_usd > 0
                        and projects.window_days_as_high <= {{ settings.max_similar_days }}
                        and not projects.follows_high
                    )
                    or (
                        projects.impact_usd < 0
                        and projects.window_days_as_low <= {{ settings.max_similar_days }}
                        and not projects.follows_low
                    )
                )
                and abs(
                    {{ anomalies_ln1p(
                        'greatest(' ~ anomalies_expm1('projects.baseline_log_cost') ~ ' + child_flags.impact_usd, 0)'
                    ) }}
                    - projects.baseline_log_cost
                ) / projects.scale >= {{ settings.child_min_project_score }}
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

final as (

    select
        series_level,
        series_id,
        org_id,
        project_id,
        model,
        api_key_id,
        spend_date,
        day_number,
        flagged_by,
        cost_usd,
        expected_cost_usd,
        impact_usd,
        score,
        history_days,
        baseline_weeks
    from anomalies

)

select * from final
