{#-
    Spend anomalies: one row per spend series and UTC day flagged as anomalous, with what drove it;
    the last stage of the spend anomaly detection:
      int_spend_daily            daily spend per series, at every level (macro spend_series_levels)
      int_spend_anomaly_scores   expected spend, robust score and excursion per series and day
                                 (incremental; each row carries the settings it was scored with)
      int_spend_anomaly_flags    the guards and the child rule: which days are anomalies
      mart_spend_anomalies       this model: drivers, the top user, type, direction and severity.
    Every setting is in spend_anomalies_settings() (macros/spend_anomalies_incremental.sql), a dbt
    var each. For organization and project anomalies the child series (projects, models, API
    keys, users, line items) that moved the same way that day are ranked by their own impact. User
    series (project_user: a user's spend in a project, allocated by usage) are scored like the
    others but never flagged: OpenAI bills usage to the key, whose owner the user is, so a user's
    move is the move of their keys, flagged at api_key level already; as drivers they say whom to
    ask, and a user with several keys ranks above each of them. `top_user_id` is the user among
    the listed drivers who moved most.
    The defaults were set on the simulated organizations: benchmarks/anomaly_evaluation.py (the
    child-anomaly defaults on the demo seed 7; the child severity bar after seeds 11 and 13, where
    near-threshold children raised their projects falsely; checked on seed 17 without tuning; the
    episode guard and the 0.15 scale floor after the false flags of seeds 11, 13 and 17, whose
    scales sat at 0.10-0.13, checked on seeds 19 and 23, which had not been looked at).
    Rebuilt on every run from the flags and the scores of the flagged days.
-#}
{%- set settings = spend_anomalies_settings() -%}
{%- set threshold = settings.threshold -%}
{%- set min_impact_usd = settings.min_impact_usd -%}
{#- Severity bands: multiples of the flag threshold (scored rules) or of the impact floor (rules
    without a score), set in spend_anomalies_settings(). -#}
{%- set high_score = settings.severity_high_score_factor * threshold -%}
{%- set medium_score = settings.severity_medium_score_factor * threshold -%}
{%- set high_impact_usd = settings.severity_high_impact_factor * min_impact_usd -%}
{%- set medium_impact_usd = settings.severity_medium_impact_factor * min_impact_usd -%}
{%- set max_drivers = settings.max_drivers -%}

with

anomalies as (

    select * from {{ ref('int_spend_anomaly_flags') }}

),

scores as (

    select * from {{ ref('int_spend_anomaly_scores') }}

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
    inner join scores as children
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

)

select * from final
