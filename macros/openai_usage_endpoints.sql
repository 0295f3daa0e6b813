{#- The Usage API's endpoints, defined once: the staging views, fct_openai_usage, the token
    quantities and the tests all read these macros.

    `openai_usage_dimensions()`: every dimension a usage endpoint can report, in the fact's column
    order: its raw (dlt) column name and its logical type (macros/staging_columns.sql).
    `openai_usage_quantities()`: every quantity, in the fact's column order (all bigint).
    `openai_usage_endpoints()`: each endpoint, with the dimensions and quantities it reports; the
    loader asks each for every dimension it allows (loader/endpoints.py holds the same list on the
    API's side). -#}

{% macro openai_usage_dimensions() -%}
    {{ return({
        'project_id': {'raw': 'project_id', 'type': 'string'},
        'user_id': {'raw': 'user_id', 'type': 'string'},
        'api_key_id': {'raw': 'api_key_id', 'type': 'string'},
        'model': {'raw': 'model', 'type': 'string'},
        'service_tier': {'raw': 'service_tier', 'type': 'string'},
        'is_batch': {'raw': 'batch', 'type': 'boolean'},
        'image_size': {'raw': 'size', 'type': 'string'},
        'image_source': {'raw': 'source', 'type': 'string'},
        'context_level': {'raw': 'context_level', 'type': 'string'},
        'vector_store_id': {'raw': 'vector_store_id', 'type': 'string'},
    }) }}
{%- endmacro %}

{% macro openai_usage_quantities() -%}
    {{ return([
        'input_tokens', 'input_cached_tokens', 'input_cache_write_tokens', 'input_uncached_tokens',
        'output_tokens', 'input_text_tokens', 'input_audio_tokens', 'input_image_tokens',
        'input_cached_text_tokens', 'input_cached_audio_tokens', 'input_cached_image_tokens',
        'output_text_tokens', 'output_audio_tokens', 'output_image_tokens', 'num_model_requests',
        'images', 'characters', 'seconds', 'usage_bytes', 'num_sessions', 'num_requests',
    ]) }}
{%- endmacro %}

{% macro openai_usage_endpoints() -%}
    {%- set by_user = ['project_id', 'user_id', 'api_key_id', 'model'] -%}
    {{ return([
        {'name': 'completions', 'dimensions': by_user + ['is_batch', 'service_tier'],
            'quantities': openai_usage_quantities()[:15]},
        {'name': 'embeddings', 'dimensions': by_user, 'quantities': ['input_tokens', 'num_model_requests']},
        {'name': 'moderations', 'dimensions': by_user, 'quantities': ['input_tokens', 'num_model_requests']},
        {'name': 'images', 'dimensions': by_user + ['image_size', 'image_source'],
            'quantities': ['images', 'num_model_requests']},
        {'name': 'audio_speeches', 'dimensions': by_user, 'quantities': ['characters', 'num_model_requests']},
        {'name': 'audio_transcriptions', 'dimensions': by_user, 'quantities': ['seconds', 'num_model_requests']},
        {'name': 'vector_stores', 'dimensions': ['project_id'], 'quantities': ['usage_bytes']},
        {'name': 'code_interpreter_sessions', 'dimensions': ['project_id'], 'quantities': ['num_sessions']},
        {'name': 'file_search_calls', 'dimensions': ['project_id', 'user_id', 'api_key_id', 'vector_store_id'],
            'quantities': ['num_requests']},
        {'name': 'web_search_calls', 'dimensions': by_user + ['context_level'],
            'quantities': ['num_model_requests', 'num_requests']},
    ]) }}
{%- endmacro %}

{% macro openai_usage_endpoint(name) -%}
    {%- for endpoint in openai_usage_endpoints() if endpoint.name == name -%}
        {{ return(endpoint) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("unknown usage endpoint " ~ name ~ "; see macros/openai_usage_endpoints.sql") }}
{%- endmacro %}

{#- fct_openai_usage's dimension and quantity columns for one endpoint, comma-separated: each
    column it reports, a typed null under the column's name for the rest. -#}
{% macro usage_fact_columns(endpoint) -%}
    {%- set columns = [] -%}
    {%- for dimension, spec in openai_usage_dimensions().items() -%}
        {%- do columns.append(dimension if dimension in endpoint.dimensions
            else 'cast(null as ' ~ logical_type(spec.type) ~ ') as ' ~ dimension) -%}
    {%- endfor -%}
    {%- for quantity in openai_usage_quantities() -%}
        {%- do columns.append(quantity if quantity in endpoint.quantities
            else 'cast(null as ' ~ dbt.type_bigint() ~ ') as ' ~ quantity) -%}
    {%- endfor -%}
    {{ columns | join(',\n            ') }}
{%- endmacro %}

{#- The staging view of one usage endpoint (its columns from the list above). -#}
{% macro stg_openai_usage(name) -%}
    {%- set endpoint = openai_usage_endpoint(name) -%}
    {%- set dimensions = openai_usage_dimensions() -%}
    {%- set results = [] -%}
    {%- for dimension in endpoint.dimensions -%}
        {%- do results.append({
            'name': dimensions[dimension].raw, 'type': dimensions[dimension].type, 'alias': dimension,
        }) -%}
    {%- endfor -%}
    {%- for quantity in endpoint.quantities -%}
        {%- do results.append({'name': quantity, 'type': 'bigint'}) -%}
    {%- endfor -%}
    {{ stg_openai_report('usage_' ~ name, results) }}
{%- endmacro %}

{#- The staging view of a report table (usage or costs): the bucket columns, then `results` (the
    result object's fields: {name, type, alias}), every column typed whether or not the raw table
    has it yet; one row per row_key from its newest load; the loader's empty-bucket markers dropped. -#}
{% macro stg_openai_report(table, results) -%}
    {%- set columns = [
        {'name': 'org_id', 'type': 'string'},
        {'name': 'bucket_start_at', 'type': 'timestamp'},
        {'name': 'bucket_end_at', 'type': 'timestamp'},
        {'name': 'bucket_width', 'type': 'string'},
        {'name': 'group_by', 'type': 'string'},
        {'name': 'row_key', 'type': 'string'},
        {'name': 'object', 'type': 'string', 'alias': 'result_object'},
    ] + results + [
        {'name': '_loader_tombstone', 'type': 'boolean', 'alias': 'is_loader_tombstone'},
        {'name': '_dlt_load_id', 'type': 'load_id', 'alias': 'dlt_load_id'},
    ] %}

with source as (
    {{ select_source_columns(source('openai_raw', table), columns) }}
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
        {%- for column in results %}
        {{ column.get('alias', column.name) }},
        {%- endfor %}
        dlt_load_id
    from newest
    -- an empty-bucket marker the loader writes (and dlt normally deletes); never a result
    where not coalesce(is_loader_tombstone, false)
)

select * from final
{%- endmacro %}

{#- When a raw table was last loaded, for `dbt source freshness`: the newest dlt load that wrote
    rows into it. -#}
{% macro openai_raw_loaded_at(table) -%}
    select max(loads.inserted_at)
    from {{ source('openai_raw', '_dlt_loads') }} as loads
    where loads.load_id in (select distinct _dlt_load_id from {{ source('openai_raw', table) }})
{%- endmacro %}

{#- `dbt run-operation print_usage_endpoints`: the list as JSON, which tests/test_usage_endpoints.py
    compares with the loader's (loader/endpoints.py). -#}
{% macro print_usage_endpoints() -%}
    {%- set dimensions = openai_usage_dimensions() -%}
    {%- set endpoints = [] -%}
    {%- for endpoint in openai_usage_endpoints() -%}
        {%- set raw_dimensions = [] -%}
        {%- for dimension in endpoint.dimensions -%}
            {%- do raw_dimensions.append(dimensions[dimension].raw) -%}
        {%- endfor -%}
        {%- do endpoints.append({
            'name': endpoint.name, 'raw_dimensions': raw_dimensions, 'quantities': endpoint.quantities,
        }) -%}
    {%- endfor -%}
    {{ print(tojson(endpoints)) }}
{%- endmacro %}
