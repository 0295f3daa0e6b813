{#- One row per users entry (org_id, user_id): the latest load of each. -#}
{%- set columns = [
    {'name': 'org_id', 'type': 'string'},
    {'name': 'id', 'type': 'string', 'alias': 'user_id'},
    {'name': 'object', 'type': 'string', 'alias': 'result_object'},
    {'name': 'name', 'type': 'string', 'alias': 'user_name'},
    {'name': 'email', 'type': 'string'},
    {'name': 'role', 'type': 'string'},
    {'name': 'added_at', 'type': 'timestamp'},
    {'name': 'is_service_account', 'type': 'boolean'},
    {'name': 'api_key_last_used_at', 'type': 'timestamp'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'users'), columns) }}
),

newest as (
    {{ newest_load_rows('source', ['org_id', 'user_id']) }}
),

final as (
    select
        org_id,
        user_id,
        result_object,
        user_name,
        email,
        role,
        added_at,
        is_service_account,
        api_key_last_used_at,
        dlt_load_id
    from newest
)

select * from final
