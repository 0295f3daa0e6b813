{#- One row per project service accounts entry (org_id, project_id, service_account_id): the latest load of each. -#}
{%- set columns = [
    {'name': 'org_id', 'type': 'string'},
    {'name': 'project_id', 'type': 'string'},
    {'name': 'id', 'type': 'string', 'alias': 'service_account_id'},
    {'name': 'object', 'type': 'string', 'alias': 'result_object'},
    {'name': 'name', 'type': 'string', 'alias': 'service_account_name'},
    {'name': 'role', 'type': 'string'},
    {'name': 'created_at', 'type': 'timestamp'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'project_service_accounts'), columns) }}
),

newest as (
    {{ newest_load_rows('source', ['org_id', 'project_id', 'service_account_id']) }}
),

final as (
    select
        org_id,
        project_id,
        service_account_id,
        result_object,
        service_account_name,
        role,
        created_at,
        dlt_load_id
    from newest
)

select * from final
