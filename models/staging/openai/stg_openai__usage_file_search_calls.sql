{#- One row per loaded file search calls usage result (row_key): the latest load of each. -#}
{%- set columns = [
    {'name': 'org_id', 'type': 'string'},
    {'name': 'bucket_start_at', 'type': 'timestamp'},
    {'name': 'bucket_end_at', 'type': 'timestamp'},
    {'name': 'bucket_width', 'type': 'string'},
    {'name': 'group_by', 'type': 'string'},
    {'name': 'row_key', 'type': 'string'},
    {'name': 'object', 'type': 'string', 'alias': 'result_object'},
    {'name': 'project_id', 'type': 'string'},
    {'name': 'user_id', 'type': 'string'},
    {'name': 'api_key_id', 'type': 'string'},
    {'name': 'vector_store_id', 'type': 'string'},
    {'name': 'num_requests', 'type': 'bigint'},
    {'name': '_loader_tombstone', 'type': 'boolean', 'alias': 'is_loader_tombstone'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'usage_file_search_calls'), columns) }}
),

{# row_key already names the organization and bucket; partitioning by them as well lets an
    incremental model's filter on them reach the raw table below this window. -#}
ranked as (
    select
        *,
        row_number() over (
            partition by org_id, bucket_start_at, row_key
            order by {{ load_id_sort_key('dlt_load_id') }} desc
        ) as load_rank
    from source
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
        user_id,
        api_key_id,
        vector_store_id,
        num_requests,
        dlt_load_id
    from ranked
    where
        load_rank = 1
        -- an empty-bucket marker the loader writes (and dlt normally deletes); never a result
        and not coalesce(is_loader_tombstone, false)
)

select * from final
