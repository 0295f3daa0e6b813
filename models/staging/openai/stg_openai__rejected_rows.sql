{#- One row per value the loader set aside (openai_raw.rejected_rows); empty until one is. -#}
{%- set columns = [
    {'name': 'org_id', 'type': 'string'},
    {'name': 'table_name', 'type': 'string', 'alias': 'raw_table'},
    {'name': 'bucket_width', 'type': 'string'},
    {'name': 'group_by', 'type': 'string'},
    {'name': 'request_start_at', 'type': 'timestamp'},
    {'name': 'request_end_at', 'type': 'timestamp'},
    {'name': 'bucket_start_at', 'type': 'timestamp'},
    {'name': 'bucket_end_at', 'type': 'timestamp'},
    {'name': 'field', 'type': 'string', 'alias': 'field_name'},
    {'name': 'value', 'type': 'string', 'alias': 'sent_value'},
    {'name': 'reason', 'type': 'string'},
    {'name': 'rejected_at', 'type': 'timestamp'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'rejected_rows'), columns) }}
)

select * from source
