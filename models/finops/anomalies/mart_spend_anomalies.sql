{#-
    Spend anomalies: one row per spend series and UTC day flagged as anomalous, with what drove it;
    the last stage of the spend anomaly detection:
      int_spend_daily            daily spend per series, at every level (macro spend_series_levels)
      int_spend_anomaly_scores   expected spend, robust score and excursion per series and day
                                 (incremental; each row carries the settings it was scored with)
      int_spend_anomaly_flags    the guards and the child rule: which days are anomalies
      mart_spend_anomaly_drivers the child series that drove each org or project anomaly, ranked
      mart_spend_anomalies       this model: the driver list, the top user, type, direction and
                                 severity.
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
    Rebuilt on every run from the flags and the drivers.
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

with

anomalies as (

    select * from {{ ref('int_spend_anomaly_flags') }}

),

drivers as (

    select
        series_id,
        spend_date,
        driver_rank,
        driver_level,
        driver_id as driver_name,
        driver_impact_usd
    from {{ ref('mart_spend_anomaly_drivers') }}

),

driver_lists as (

    select
        series_id,
        spend_date,
        {{ spend_driver_list('driver_level', 'driver_name') }} as drivers
    from drivers
    group by series_id, spend_date

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
        spend_date,
        driver_name as user_id,
        driver_impact_usd,
        row_number() over (
            partition by series_id, spend_date
            order by abs(driver_impact_usd) desc, driver_name
        ) as user_rank
    from drivers
    where driver_level = 'project_user'

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
            and anomalies.spend_date = top_drivers.spend_date
    left join driver_lists
        on
            anomalies.series_id = driver_lists.series_id
            and anomalies.spend_date = driver_lists.spend_date
    left join top_users
        on
            anomalies.series_id = top_users.series_id
            and anomalies.spend_date = top_users.spend_date
            and top_users.user_rank = 1

)

select * from final
