-- The budget thresholds to alert on: each one crossed in a budget's current period, by actual
-- spend or by the forecast. A forecast from part of a period ('not enough data') is no forecast,
-- so only actual crossings count there; a threshold crossed by actual spend is not also reported
-- as forecast to cross.
select
    thresholds.budget_threshold_id,
    thresholds.threshold_pct,
    thresholds.threshold_usd,
    thresholds.is_crossed_actual,
    thresholds.actual_crossed_on,
    thresholds.is_crossed_forecast,
    thresholds.forecast_crossed_on,
    status.budget_id,
    status.budget_name,
    status.org_id,
    org_names.org_name,
    status.project_id,
    projects.project_name,
    status.model,
    status.budget_period,
    status.period_start_date,
    status.period_end_date,
    status.as_of_date,
    status.budget_amount_usd,
    status.owner,
    status.actual_to_date_usd,
    status.actual_pct,
    status.forecast_usd,
    status.forecast_pct,
    status.forecast_method,
    status.status,
    case when thresholds.is_crossed_actual then 'budget_actual' else 'budget_forecast' end as alert_kind
from {{ ref('mart_budget_thresholds') }} as thresholds
inner join {{ ref('mart_budget_status') }} as status
    on
        thresholds.budget_id = status.budget_id
        and thresholds.period_start_date = status.period_start_date
left join {{ ref('dim_openai_organizations') }} as org_names
    on status.org_id = org_names.org_id
left join {{ ref('dim_openai_projects') }} as projects
    on
        status.org_id = projects.org_id
        and status.project_id = projects.project_id
where
    status.is_current_period
    and (
        thresholds.is_crossed_actual
        or (thresholds.is_crossed_forecast and status.status <> 'not enough data')
    )
