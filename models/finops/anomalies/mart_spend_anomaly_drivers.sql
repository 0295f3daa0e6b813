{#-
    Anomaly drivers: one row per organization or project anomaly of int_spend_anomaly_flags and
    each child series that moved the same way that day, ranked by the size of its own impact (at
    most `anomaly_max_drivers`, 3): projects, models, API keys, users and line items of the
    organization, or of the project. mart_spend_anomalies lists them (`drivers`, `top_driver_*`,
    `top_user_id`); models/surfaces/rpt_spend_anomalies names them.
-#}
{%- set settings = spend_anomalies_settings() -%}

with

anomalies as (

    select * from {{ ref('int_spend_anomaly_flags') }}

),

scores as (

    select * from {{ ref('int_spend_anomaly_scores') }}

),

ranked as (

    select
        anomalies.series_id,
        anomalies.org_id,
        anomalies.spend_date,
        children.series_level as driver_level,
        children.impact_usd as driver_impact_usd,
        children.series_id as driver_series_id,
        children.project_id as driver_project_id,
        coalesce(children.user_id, children.api_key_id, children.model, children.project_id) as driver_id,
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

final as (

    select
        {{ dbt.concat(['series_id', "'@'", 'cast(spend_date as ' ~ dbt.type_string() ~ ')']) }} as anomaly_id,
        series_id,
        org_id,
        spend_date,
        cast(driver_rank as {{ dbt.type_bigint() }}) as driver_rank,
        driver_level,
        driver_series_id,
        driver_project_id,
        driver_id,
        cast(driver_impact_usd as decimal(38, 6)) as driver_impact_usd
    from ranked
    where driver_rank <= {{ settings.max_drivers }}

)

select * from final
