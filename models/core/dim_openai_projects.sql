with

projects as (
    select * from {{ ref('stg_openai__projects') }}
),

costs as (
    select * from {{ ref('int_openai_costs_selected') }}
),

usage_facts as (
    select * from {{ ref('fct_openai_usage') }}
),

{# Projects that have spend or usage but are missing from the projects list (deleted, or
    not visible to the admin key): kept so that every fact row finds its project. -#}
seen as (
    select
        org_id,
        project_id,
        max(project_name) as project_name
    from costs
    where project_id is not null
    group by org_id, project_id
    union all
    select
        org_id,
        project_id,
        cast(null as {{ dbt.type_string() }}) as project_name
    from usage_facts
    where project_id is not null
    group by org_id, project_id
),

unlisted as (
    select
        seen.org_id,
        seen.project_id,
        max(seen.project_name) as project_name
    from seen
    left join projects
        on
            seen.org_id = projects.org_id
            and seen.project_id = projects.project_id
    where projects.project_id is null
    group by seen.org_id, seen.project_id
),

final as (
    select
        org_id,
        project_id,
        project_name,
        status as project_status,
        coalesce(status = 'archived' or archived_at is not null, false) as is_archived,
        created_at,
        archived_at,
        external_key_id,
        residency,
        true as has_metadata
    from projects
    union all
    select
        org_id,
        project_id,
        project_name,
        cast(null as {{ dbt.type_string() }}) as project_status,
        cast(null as {{ dbt.type_boolean() }}) as is_archived,
        cast(null as {{ dbt.type_timestamp() }}) as created_at,
        cast(null as {{ dbt.type_timestamp() }}) as archived_at,
        cast(null as {{ dbt.type_string() }}) as external_key_id,
        cast(null as {{ dbt.type_string() }}) as residency,
        false as has_metadata
    from unlisted
)

select * from final
