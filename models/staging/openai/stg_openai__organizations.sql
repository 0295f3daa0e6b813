{#- One row per organization the warehouse holds (openai_raw.organizations); empty until a run since
    the table was added. -#}
{%- set columns = [
    {'name': 'org_id', 'type': 'string'},
    {'name': 'name', 'type': 'string', 'alias': 'configured_name'},
    {'name': 'is_simulated', 'type': 'boolean'},
    {'name': 'loaded_at', 'type': 'timestamp', 'alias': 'last_loaded_at'},
    {'name': 'costs_loaded_from', 'type': 'timestamp'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'organizations'), columns) }}
)

select * from source
