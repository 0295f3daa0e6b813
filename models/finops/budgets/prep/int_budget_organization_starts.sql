{#-
    Where each organization's history starts, for judging whether a budget period is covered: one
    row per organization with projects. Nothing can be billed before the organization's first
    project; its costs are known from the first day the loader read (its state in
    openai_raw.organizations), null where the loader has no state for it.
-#}

with

dim_openai_projects as (

    select * from {{ ref('dim_openai_projects') }}

),

stg_openai__organizations as (

    select * from {{ ref('stg_openai__organizations') }}

),

project_starts as (

    select
        org_id,
        cast(min(created_at) as date) as organization_start_date
    from dim_openai_projects
    group by org_id

),

final as (

    select
        project_starts.org_id,
        project_starts.organization_start_date,
        cast(stg_openai__organizations.costs_loaded_from as date) as costs_loaded_from_date
    from project_starts
    left join stg_openai__organizations
        on project_starts.org_id = stg_openai__organizations.org_id

)

select * from final
