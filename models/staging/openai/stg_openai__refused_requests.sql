{#- One row per stream the API refused in a run (openai_raw.refused_requests); empty until one is. -#}
{%- set columns = [
    {'name': 'org_id', 'type': 'string'},
    {'name': 'table_name', 'type': 'string', 'alias': 'raw_table'},
    {'name': 'bucket_width', 'type': 'string'},
    {'name': 'group_by', 'type': 'string'},
    {'name': 'request_start_at', 'type': 'timestamp'},
    {'name': 'request_end_at', 'type': 'timestamp'},
    {'name': 'http_status', 'type': 'bigint'},
    {'name': 'reason', 'type': 'string'},
    {'name': 'refused_at', 'type': 'timestamp'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'refused_requests'), columns) }}
)

select * from source
