with

api_keys as (
    select * from {{ ref('stg_openai__project_api_keys') }}
),

projects as (
    select * from {{ ref('stg_openai__projects') }}
),

costs as (
    select * from {{ ref('int_openai_costs_selected') }}
),

usage_facts as (
    select * from {{ ref('fct_openai_usage') }}
),

{# A key id belongs to one project; should the list ever repeat one, the latest load wins. -#}
ranked_keys as (
    select
        *,
        row_number() over (
            partition by org_id, api_key_id
            order by {{ load_id_sort_key('dlt_load_id') }} desc, project_id
        ) as key_rank
    from api_keys
),

listed as (
    select
        ranked_keys.org_id,
        ranked_keys.api_key_id,
        ranked_keys.project_id,
        ranked_keys.api_key_name,
        ranked_keys.redacted_value,
        ranked_keys.owner_type,
        ranked_keys.owner_user_id,
        ranked_keys.owner_service_account_id,
        coalesce(ranked_keys.owner_user_name, ranked_keys.owner_service_account_name) as owner_name,
        ranked_keys.owner_user_email as owner_email,
        ranked_keys.owner_project_access,
        ranked_keys.created_at,
        ranked_keys.last_used_at,
        coalesce(projects.status = 'archived' or projects.archived_at is not null, false) as is_project_archived,
        true as has_metadata
    from ranked_keys
    left join projects
        on
            ranked_keys.org_id = projects.org_id
            and ranked_keys.project_id = projects.project_id
    where ranked_keys.key_rank = 1
),

{# Keys with spend or usage that the key list no longer returns (deleted keys keep their id on
    past spend, CONTRACT.md §7 #15). -#}
seen as (
    select
        org_id,
        api_key_id,
        project_id
    from costs
    where api_key_id is not null
    union all
    select
        org_id,
        api_key_id,
        project_id
    from usage_facts
    where api_key_id is not null
),

unlisted as (
    select
        seen.org_id,
        seen.api_key_id,
        max(seen.project_id) as project_id
    from seen
    left join listed
        on
            seen.org_id = listed.org_id
            and seen.api_key_id = listed.api_key_id
    where listed.api_key_id is null
    group by seen.org_id, seen.api_key_id
),

final as (
    select * from listed
    union all
    select
        org_id,
        api_key_id,
        project_id,
        cast(null as {{ dbt.type_string() }}) as api_key_name,
        cast(null as {{ dbt.type_string() }}) as redacted_value,
        cast(null as {{ dbt.type_string() }}) as owner_type,
        cast(null as {{ dbt.type_string() }}) as owner_user_id,
        cast(null as {{ dbt.type_string() }}) as owner_service_account_id,
        cast(null as {{ dbt.type_string() }}) as owner_name,
        cast(null as {{ dbt.type_string() }}) as owner_email,
        cast(null as {{ dbt.type_string() }}) as owner_project_access,
        cast(null as {{ dbt.type_timestamp() }}) as created_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_used_at,
        cast(null as {{ dbt.type_boolean() }}) as is_project_archived,
        false as has_metadata
    from unlisted
)

select * from final
