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

ranked as (
    select
        *,
        row_number() over (
            partition by org_id, user_id
            order by {{ load_id_sort_key('dlt_load_id') }} desc
        ) as load_rank
    from source
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
    from ranked
    where load_rank = 1
)

select * from final
