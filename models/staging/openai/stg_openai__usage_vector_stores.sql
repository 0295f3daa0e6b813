{#- One row per loaded vector stores usage result (row_key): the latest load of each. -#}
{%- set columns = [
    {'name': 'org_id', 'type': 'string'},
    {'name': 'bucket_start_at', 'type': 'timestamp'},
    {'name': 'bucket_end_at', 'type': 'timestamp'},
    {'name': 'bucket_width', 'type': 'string'},
    {'name': 'group_by', 'type': 'string'},
    {'name': 'row_key', 'type': 'string'},
    {'name': 'object', 'type': 'string', 'alias': 'result_object'},
    {'name': 'project_id', 'type': 'string'},
    {'name': 'usage_bytes', 'type': 'bigint'},
    {'name': '_loader_tombstone', 'type': 'boolean', 'alias': 'is_loader_tombstone'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'usage_vector_stores'), columns) }}
),

{# row_key already names the organization, bucket width and bucket; keying by them as well lets
    an incremental model's filters on them reach the raw table. -#}
newest as (
    {{ newest_load_rows('source', ['org_id', 'bucket_width', 'bucket_start_at', 'row_key']) }}
),

final as (
    select
        org_id,
        bucket_start_at,
        bucket_end_at,
        bucket_width,
        group_by,
        row_key,
        result_object,
        project_id,
        usage_bytes,
        dlt_load_id
    from newest
    -- an empty-bucket marker the loader writes (and dlt normally deletes); never a result
    where not coalesce(is_loader_tombstone, false)
)

select * from final
