{#- One row per project api keys entry (org_id, project_id, api_key_id): the latest load of each. -#}
{%- set columns = [
    {'name': 'org_id', 'type': 'string'},
    {'name': 'project_id', 'type': 'string'},
    {'name': 'id', 'type': 'string', 'alias': 'api_key_id'},
    {'name': 'object', 'type': 'string', 'alias': 'result_object'},
    {'name': 'name', 'type': 'string', 'alias': 'api_key_name'},
    {'name': 'redacted_value', 'type': 'string'},
    {'name': 'created_at', 'type': 'timestamp'},
    {'name': 'last_used_at', 'type': 'timestamp'},
    {'name': 'owner_project_access', 'type': 'string'},
    {'name': 'owner__type', 'type': 'string', 'alias': 'owner_type'},
    {'name': 'owner__user__id', 'type': 'string', 'alias': 'owner_user_id'},
    {'name': 'owner__user__name', 'type': 'string', 'alias': 'owner_user_name'},
    {'name': 'owner__user__email', 'type': 'string', 'alias': 'owner_user_email'},
    {'name': 'owner__service_account__id', 'type': 'string', 'alias': 'owner_service_account_id'},
    {'name': 'owner__service_account__name', 'type': 'string', 'alias': 'owner_service_account_name'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'project_api_keys'), columns) }}
),

newest as (
    {{ newest_load_rows('source', ['org_id', 'project_id', 'api_key_id']) }}
),

final as (
    select
        org_id,
        project_id,
        api_key_id,
        result_object,
        api_key_name,
        redacted_value,
        created_at,
        last_used_at,
        owner_project_access,
        owner_type,
        owner_user_id,
        owner_user_name,
        owner_user_email,
        owner_service_account_id,
        owner_service_account_name,
        dlt_load_id
    from newest
)

select * from final
