-- Billed spend per organization, UTC day, project and cost item: what the report charts and the
-- summary ranks, with the names people read.
-- `model` is the column's name everywhere in the marts.
-- noqa: disable=references.keywords
with costs as (

    select
        "BillingAccountId" as org_id,
        "x_ChargeDate" as charge_date,
        "SubAccountId" as project_id,
        "x_Model" as model,
        "x_LineItem" as line_item,
        "ChargeCategory" as charge_category,
        "BilledCost" as billed_cost,
        case when "ConsumedUnit" = 'Tokens' then "BilledCost" end as token_billed_cost,
        case when "ConsumedUnit" = 'Tokens' then "ConsumedQuantity" end as tokens
    from {{ ref('fct_openai_cost') }}

)

select
    costs.org_id,
    costs.charge_date,
    costs.project_id,
    costs.model,
    costs.line_item,
    costs.charge_category,
    organizations.org_name,
    projects.project_name,
    coalesce(costs.project_id, '(no project)') as project_key,
    coalesce(costs.model, costs.line_item, costs.charge_category) as cost_item,
    sum(costs.billed_cost) as billed_cost_usd,
    sum(costs.token_billed_cost) as token_billed_cost_usd,
    sum(costs.tokens) as tokens
from costs
inner join {{ ref('dim_openai_organizations') }} as organizations
    on costs.org_id = organizations.org_id
left join {{ ref('dim_openai_projects') }} as projects
    on
        costs.org_id = projects.org_id
        and costs.project_id = projects.project_id
group by
    costs.org_id,
    costs.charge_date,
    costs.project_id,
    costs.model,
    costs.line_item,
    costs.charge_category,
    organizations.org_name,
    projects.project_name
