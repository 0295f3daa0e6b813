-- Billed spend per organization, UTC day, project and cost item: what the report charts and the
-- summary ranks, with the names people read.
-- `model` is the column's name everywhere in the marts.
-- noqa: disable=references.keywords
with costs as (

    select
        "BillingAccountId" as org_id,
        "BillingAccountName" as org_name,
        "x_ChargeDate" as charge_date,
        "SubAccountId" as project_id,
        "SubAccountName" as project_name,
        "x_Model" as model,
        "x_LineItem" as line_item,
        "ChargeCategory" as charge_category,
        "BilledCost" as billed_cost,
        case when "ConsumedUnit" = 'Tokens' then "BilledCost" end as token_billed_cost,
        case when "ConsumedUnit" = 'Tokens' then "ConsumedQuantity" end as tokens
    from {{ ref('fct_openai_cost') }}

),

project_names as (

    select
        org_id,
        project_id,
        max(project_name) as project_name
    from costs
    where project_id is not null
    group by org_id, project_id

)

select
    costs.org_id,
    costs.charge_date,
    costs.project_id,
    costs.model,
    costs.line_item,
    costs.charge_category,
    max(costs.org_name) as org_name,
    coalesce(costs.project_id, '(no project)') as project_key,
    max(project_names.project_name) as project_name,
    coalesce(costs.model, costs.line_item, costs.charge_category) as cost_item,
    sum(costs.billed_cost) as billed_cost_usd,
    sum(costs.token_billed_cost) as token_billed_cost_usd,
    sum(costs.tokens) as tokens
from costs
left join project_names
    on
        costs.org_id = project_names.org_id
        and costs.project_id = project_names.project_id
group by
    costs.org_id,
    costs.charge_date,
    costs.project_id,
    costs.model,
    costs.line_item,
    costs.charge_category
