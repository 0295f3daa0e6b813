-- Every flagged anomaly, each column of mart_spend_anomalies (an alert's details carry them all),
-- with the names its readers need: the organization, project and top user, a label of the series,
-- and the drivers by name with a short id beside it (the id alone where no name is known).

with

anomalies as (

    select * from {{ ref('mart_spend_anomalies') }}

),

drivers as (

    select * from {{ ref('mart_spend_anomaly_drivers') }}

),

organizations as (

    select * from {{ ref('dim_openai_organizations') }}

),

projects as (

    select * from {{ ref('dim_openai_projects') }}

),

users as (

    select * from {{ ref('dim_openai_users') }}

),

api_keys as (

    select * from {{ ref('dim_openai_api_keys') }}

),

named_drivers as (

    select
        drivers.anomaly_id,
        drivers.driver_rank,
        case drivers.driver_level
            when 'project' then {{ surface_named('projects.project_name', 'drivers.driver_id') }}
            when 'project_user' then {{ surface_named('users.user_name', 'drivers.driver_id') }}
            when 'api_key' then {{ surface_named('api_keys.api_key_name', 'drivers.driver_id') }}
            else drivers.driver_id
        end as driver_label,
        case drivers.driver_level
            when 'project' then 'project'
            when 'project_user' then 'user'
            when 'api_key' then 'key'
            when 'project_model' then 'model'
            else 'line item'
        end as driver_kind,
        drivers.driver_impact_usd
    from drivers
    left join projects
        on
            drivers.driver_level = 'project'
            and drivers.org_id = projects.org_id
            and drivers.driver_id = projects.project_id
    left join users
        on
            drivers.driver_level = 'project_user'
            and drivers.org_id = users.org_id
            and drivers.driver_id = users.user_id
    left join api_keys
        on
            drivers.driver_level = 'api_key'
            and drivers.org_id = api_keys.org_id
            and drivers.driver_id = api_keys.api_key_id

),

driver_lists as (

    select
        anomaly_id,
        {{ spend_driver_list('driver_kind', 'driver_label') }} as drivers_named
    from named_drivers
    group by anomaly_id

),

top_drivers as (

    select
        anomaly_id,
        {{ dbt.concat(['driver_kind', "' '", 'driver_label']) }} as top_driver_label
    from named_drivers
    where driver_rank = 1

),

final as (

    select
        anomalies.anomaly_id,
        anomalies.series_level,
        anomalies.series_id,
        anomalies.org_id,
        anomalies.project_id,
        anomalies.model,
        anomalies.api_key_id,
        anomalies.spend_date,
        anomalies.anomaly_type,
        anomalies.direction,
        anomalies.detection_rule,
        anomalies.actual_cost_usd,
        anomalies.expected_cost_usd,
        anomalies.impact_usd,
        anomalies.impact_pct,
        anomalies.score,
        anomalies.severity,
        anomalies.history_days,
        anomalies.baseline_weeks,
        anomalies.top_driver_level,
        anomalies.top_driver_name,
        anomalies.top_driver_impact_usd,
        anomalies.drivers,
        anomalies.top_user_id,
        anomalies.top_user_impact_usd,
        organizations.org_name,
        projects.project_name,
        top_users.user_name as top_user_name,
        series_keys.api_key_name,
        case anomalies.series_level
            when 'org' then coalesce(organizations.org_name, anomalies.org_id)
            when 'project' then {{ surface_named('projects.project_name', 'anomalies.project_id') }}
            else {{ dbt.concat([
                surface_named('projects.project_name', 'anomalies.project_id'),
                "case anomalies.series_level when 'project_model' then ' / model ' "
                ~ "when 'api_key' then ' / key ' else ' / line item ' end",
                "case when anomalies.series_level = 'api_key' then "
                ~ surface_named('series_keys.api_key_name', 'anomalies.api_key_id')
                ~ " else anomalies.model end",
            ]) }}
        end as series_label,
        top_drivers.top_driver_label,
        driver_lists.drivers_named
    from anomalies
    left join organizations
        on anomalies.org_id = organizations.org_id
    left join projects
        on
            anomalies.org_id = projects.org_id
            and anomalies.project_id = projects.project_id
    left join users as top_users
        on
            anomalies.org_id = top_users.org_id
            and anomalies.top_user_id = top_users.user_id
    left join api_keys as series_keys
        on
            anomalies.org_id = series_keys.org_id
            and anomalies.api_key_id = series_keys.api_key_id
    left join top_drivers
        on anomalies.anomaly_id = top_drivers.anomaly_id
    left join driver_lists
        on anomalies.anomaly_id = driver_lists.anomaly_id

)

select * from final
