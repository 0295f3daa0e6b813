with

users as (
    select * from {{ ref('stg_openai__users') }}
),

usage_facts as (
    select * from {{ ref('fct_openai_usage') }}
),

api_keys as (
    select * from {{ ref('stg_openai__project_api_keys') }}
),

{# Users that appear in usage or own an API key but are not in the users list (removed from
    the organization): kept so that every usage row finds its user. -#}
seen as (
    select
        org_id,
        user_id
    from usage_facts
    where user_id is not null
    union all
    select
        org_id,
        owner_user_id as user_id
    from api_keys
    where owner_user_id is not null
),

unlisted as (
    select distinct
        seen.org_id,
        seen.user_id
    from seen
    left join users
        on
            seen.org_id = users.org_id
            and seen.user_id = users.user_id
    where users.user_id is null
),

final as (
    select
        org_id,
        user_id,
        user_name,
        email,
        role as user_role,
        added_at,
        is_service_account,
        true as has_metadata
    from users
    union all
    select
        org_id,
        user_id,
        cast(null as {{ dbt.type_string() }}) as user_name,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as user_role,
        cast(null as {{ dbt.type_timestamp() }}) as added_at,
        cast(null as {{ dbt.type_boolean() }}) as is_service_account,
        false as has_metadata
    from unlisted
)

select * from final
