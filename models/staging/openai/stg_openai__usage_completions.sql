{#- One row per loaded completions usage result (row_key): the latest load of each. -#}
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
    {'name': 'model', 'type': 'string'},
    {'name': 'batch', 'type': 'boolean', 'alias': 'is_batch'},
    {'name': 'service_tier', 'type': 'string'},
    {'name': 'input_tokens', 'type': 'bigint'},
    {'name': 'input_cached_tokens', 'type': 'bigint'},
    {'name': 'input_cache_write_tokens', 'type': 'bigint'},
    {'name': 'input_uncached_tokens', 'type': 'bigint'},
    {'name': 'output_tokens', 'type': 'bigint'},
    {'name': 'input_text_tokens', 'type': 'bigint'},
    {'name': 'input_audio_tokens', 'type': 'bigint'},
    {'name': 'input_image_tokens', 'type': 'bigint'},
    {'name': 'input_cached_text_tokens', 'type': 'bigint'},
    {'name': 'input_cached_audio_tokens', 'type': 'bigint'},
    {'name': 'input_cached_image_tokens', 'type': 'bigint'},
    {'name': 'output_text_tokens', 'type': 'bigint'},
    {'name': 'output_audio_tokens', 'type': 'bigint'},
    {'name': 'output_image_tokens', 'type': 'bigint'},
    {'name': 'num_model_requests', 'type': 'bigint'},
    {'name': '_loader_tombstone', 'type': 'boolean', 'alias': 'is_loader_tombstone'},
    {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'}
] -%}

with source as (
    {{ select_source_columns(source('openai_raw', 'usage_completions'), columns) }}
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
        user_id,
        api_key_id,
        model,
        is_batch,
        service_tier,
        input_tokens,
        input_cached_tokens,
        input_cache_write_tokens,
        input_uncached_tokens,
        output_tokens,
        input_text_tokens,
        input_audio_tokens,
        input_image_tokens,
        input_cached_text_tokens,
        input_cached_audio_tokens,
        input_cached_image_tokens,
        output_text_tokens,
        output_audio_tokens,
        output_image_tokens,
        num_model_requests,
        dlt_load_id
    from newest
    -- an empty-bucket marker the loader writes (and dlt normally deletes); never a result
    where not coalesce(is_loader_tombstone, false)
)

select * from final
