-- Every flagged anomaly, each column of mart_spend_anomalies (an alert's details carry them all),
-- with the names its readers need: organization, project and top user.
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
    org_names.org_name,
    projects.project_name,
    top_users.user_name as top_user_name
from {{ ref('mart_spend_anomalies') }} as anomalies
left join {{ ref('dim_openai_organizations') }} as org_names
    on anomalies.org_id = org_names.org_id
left join {{ ref('dim_openai_projects') }} as projects
    on
        anomalies.org_id = projects.org_id
        and anomalies.project_id = projects.project_id
left join {{ ref('dim_openai_users') }} as top_users
    on
        anomalies.org_id = top_users.org_id
        and anomalies.top_user_id = top_users.user_id
