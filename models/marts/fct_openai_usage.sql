{{
    config(
        materialized='incremental',
        unique_key=['org_id', 'bucket_start_at'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{#- Incremental by organization and bucket (macros/incremental_lookback.sql): each run re-reads, per
    organization, the buckets from `lookback_days` days before its newest one and replaces them
    whole, so restated usage replaces the old rows and rows that vanished are removed. -#}

{#- Every usage endpoint in one fact. Each endpoint lists the dimensions and quantities it
    reports; the rest are typed nulls, so the union has one column set. -#}
{%- set dimensions = {
    'project_id': dbt.type_string(),
    'user_id': dbt.type_string(),
    'api_key_id': dbt.type_string(),
    'model': dbt.type_string(),
    'service_tier': dbt.type_string(),
    'is_batch': dbt.type_boolean(),
    'image_size': dbt.type_string(),
    'image_source': dbt.type_string(),
    'context_level': dbt.type_string(),
    'vector_store_id': dbt.type_string(),
} -%}
{%- set quantities = [
    'input_tokens', 'input_cached_tokens', 'input_cache_write_tokens', 'input_uncached_tokens',
    'output_tokens', 'input_text_tokens', 'input_audio_tokens', 'input_image_tokens',
    'input_cached_text_tokens', 'input_cached_audio_tokens', 'input_cached_image_tokens',
    'output_text_tokens', 'output_audio_tokens', 'output_image_tokens', 'num_model_requests',
    'images', 'characters', 'seconds', 'usage_bytes', 'num_sessions', 'num_requests',
] -%}
{%- set completions_quantities = quantities[:15] -%}
{%- set user_level = ['project_id', 'user_id', 'api_key_id', 'model'] -%}
{%- set endpoints = [
    {'name': 'completions', 'dims': user_level + ['service_tier', 'is_batch'], 'qty': completions_quantities},
    {'name': 'embeddings', 'dims': user_level, 'qty': ['input_tokens', 'num_model_requests']},
    {'name': 'moderations', 'dims': user_level, 'qty': ['input_tokens', 'num_model_requests']},
    {'name': 'images', 'dims': user_level + ['image_size', 'image_source'], 'qty': ['images', 'num_model_requests']},
    {'name': 'audio_speeches', 'dims': user_level, 'qty': ['characters', 'num_model_requests']},
    {'name': 'audio_transcriptions', 'dims': user_level, 'qty': ['seconds', 'num_model_requests']},
    {'name': 'vector_stores', 'dims': ['project_id'], 'qty': ['usage_bytes']},
    {'name': 'code_interpreter_sessions', 'dims': ['project_id'], 'qty': ['num_sessions']},
    {'name': 'file_search_calls', 'dims': ['project_id', 'user_id', 'api_key_id', 'vector_store_id'], 'qty': ['num_requests']},
    {'name': 'web_search_calls', 'dims': user_level + ['context_level'], 'qty': ['num_model_requests', 'num_requests']},
] -%}

{#- The lookback window (every bucket on a full refresh), rendered once for every endpoint; the
    engines push it down into each endpoint's staging view. -#}
{%- set in_lookback = lookback_predicate(
    'usage_rows.org_id', 'usage_rows.bucket_start_at', 'timestamp', 'org_id', 'bucket_start_at',
) -%}

{#- One import CTE and one select per endpoint, all selects with the same column list. -#}
{%- set imports = [] -%}
{%- set selects = [] -%}
{%- for endpoint in endpoints -%}
    {%- do imports.append(
        'usage_' ~ endpoint.name ~ ' as (\n    select * from ' ~ ref('stg_openai__usage_' ~ endpoint.name)
        ~ ' as usage_rows\n    where\n        usage_rows.bucket_width = '
        ~ "'" ~ var('usage_bucket_width', '1d') ~ "'\n        and " ~ in_lookback ~ '\n)'
    ) -%}
    {%- set columns = [
        'org_id', "'" ~ endpoint.name ~ "' as endpoint", 'bucket_width', 'bucket_start_at', 'bucket_end_at', 'group_by',
    ] -%}
    {%- for dimension, data_type in dimensions.items() -%}
        {%- do columns.append(
            dimension if dimension in endpoint.dims else 'cast(null as ' ~ data_type ~ ') as ' ~ dimension
        ) -%}
    {%- endfor -%}
    {%- for quantity in quantities -%}
        {%- do columns.append(
            quantity if quantity in endpoint.qty else 'cast(null as ' ~ dbt.type_bigint() ~ ') as ' ~ quantity
        ) -%}
    {%- endfor -%}
    {#- The loader asks each endpoint for every dimension it allows; should a table hold several
        group-by sets, only the most detailed one (longest set) of the rows read is kept, so that
        nothing is counted twice. A filter on each endpoint's own longest set, not a window over the
        union, which held every column of every row (a year's usage: 54 s with it, 35 s without). -#}
    {%- do selects.append(
        'select\n        ' ~ columns | join(',\n        ')
        ~ '\n    from usage_' ~ endpoint.name
        ~ '\n    where ' ~ dbt.length('group_by') ~ ' = (select max(' ~ dbt.length('group_by') ~ ') from usage_'
        ~ endpoint.name ~ ')'
    ) -%}
{%- endfor %}

with

{{ imports | join(',\n\n') }},

unioned as (
    {{ selects | join('\n    union all\n    ') }}
),

final as (
    select
        {{ generate_surrogate_key([
            'org_id', 'endpoint', 'bucket_width', 'bucket_start_at', 'project_id', 'user_id',
            'api_key_id', 'model', 'service_tier', 'is_batch', 'image_size', 'image_source',
            'context_level', 'vector_store_id',
        ]) }} as usage_id,
        org_id,
        endpoint,
        bucket_width,
        bucket_start_at,
        bucket_end_at,
        cast(bucket_start_at as date) as usage_date,
        {{ (dimensions.keys() | list + quantities) | join(',\n        ') }}
    from unioned
)

select * from final
