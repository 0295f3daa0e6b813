{#- One row per projects entry (org_id, project_id): the latest load of each. -#}
{%- set columns = [
    {'name': 'org_id', 'type': 'string'},
    {'name': 'id', 'type': 'string', 'alias': 'project_id'},
    {'name': 'object', 'type': 'string', 'alias': 'result_object'},
    {'name': 'name', 'type': 'string', 'alias': 'project_name'},
    {'name': 'status', 'type': 'string'},
    {'name': 'created_at', 'type': 'timestamp'},
    {'name': 'archived_at', 'type': 'timestamp'},
    {'name': 'external_key_id', 'type': 'string'},
    {'name': 'residency', 'type': 'string'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'projects'), columns) }}
),

newest as (
    {{ newest_load_rows('source', ['org_id', 'project_id']) }}
),

final as (
    select
        org_id,
        project_id,
        result_object,
        project_name,
        status,
        created_at,
        archived_at,
        external_key_id,
        residency,
        dlt_load_id
    from newest
)

select * from final
