{#- Usage in the cost's vocabulary: one row per organization, UTC day, usage endpoint, project,
    user, API key, billing model, token type, batch flag and service tier, with the usage quantity
    that OpenAI bills for that line item.

    Each usage column is mapped to the cost line item it is billed under (the mapping the
    simulator's billing uses, and OpenAI's line items as seen live):
    - completions text tokens: `<model>, input` bills uncached text input plus cache writes,
      `<model>, cached input` cached text input, `<model>, output` text output; the line item
      names batch and the service tier (`batch input`, `flex output`), so both are part of the key.
    - completions audio and image tokens: `<model> audio, input` ... billed whatever the tier.
    - embeddings and moderations `input`, images per size, speech characters, transcription
      seconds, and the tools billed without a model (code interpreter sessions, file search and
      web search calls, vector storage in GiB-hours).
    Older usage rows without the per-modality split fall back to the totals (input_uncached_tokens
    or input_tokens minus cached and cache writes; input_cached_tokens; output_tokens).

    Fine-tuned models are reported by usage as `ft:<base>:<org>::<id>` and billed as `ft-<base>`;
    `model` here is the billing name. -#}

{#- A table: allocation and reconciliation both read it. Incremental by organization and day
    (macros/incremental_lookback.sql): a daily run re-reads the lookback window of fct_openai_usage. -#}
{{
    config(
        materialized='incremental',
        unique_key=['org_id', 'usage_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{%- set text_input = "coalesce(input_text_tokens, input_uncached_tokens,"
    ~ " input_tokens - coalesce(input_cached_tokens, 0) - coalesce(input_cache_write_tokens, 0))"
    ~ " + coalesce(input_cache_write_tokens, 0)" -%}

{#- bytes stored during the bucket as GiB-hours (bytes x seconds / (2^30 x 3600)), rounded to the 9
    decimals OpenAI bills quantities in -#}
{%- set bucket_seconds = dbt.datediff('bucket_start_at', 'bucket_end_at', 'second') -%}
{%- set storage_gib_hours = 'cast(round('
    ~ allocation_exact_divide('usage_bytes * bucket_seconds', '3865470566400', 12)
    ~ ', 9) as ' ~ type_quantity() ~ ')' -%}

{%- set meters = [
    {'endpoint': 'completions', 'token_type': "'input'", 'quantity': text_input,
        'basis': 'input_text_tokens + input_cache_write_tokens', 'tiered': true},
    {'endpoint': 'completions', 'token_type': "'cached input'",
        'quantity': 'coalesce(input_cached_text_tokens, input_cached_tokens)',
        'basis': 'input_cached_text_tokens', 'tiered': true},
    {'endpoint': 'completions', 'token_type': "'output'",
        'quantity': 'coalesce(output_text_tokens, output_tokens)',
        'basis': 'output_text_tokens', 'tiered': true},
    {'endpoint': 'completions', 'token_type': "'audio input'", 'quantity': 'input_audio_tokens',
        'basis': 'input_audio_tokens'},
    {'endpoint': 'completions', 'token_type': "'audio cached input'", 'quantity': 'input_cached_audio_tokens',
        'basis': 'input_cached_audio_tokens'},
    {'endpoint': 'completions', 'token_type': "'audio output'", 'quantity': 'output_audio_tokens',
        'basis': 'output_audio_tokens'},
    {'endpoint': 'completions', 'token_type': "'image input'", 'quantity': 'input_image_tokens',
        'basis': 'input_image_tokens'},
    {'endpoint': 'completions', 'token_type': "'image cached input'", 'quantity': 'input_cached_image_tokens',
        'basis': 'input_cached_image_tokens'},
    {'endpoint': 'completions', 'token_type': "'image output'", 'quantity': 'output_image_tokens',
        'basis': 'output_image_tokens'},
    {'endpoint': 'embeddings', 'token_type': "'input'", 'quantity': 'input_tokens', 'basis': 'input_tokens'},
    {'endpoint': 'moderations', 'token_type': "'input'", 'quantity': 'input_tokens', 'basis': 'input_tokens'},
    {'endpoint': 'images', 'token_type': 'image_size', 'quantity': 'images', 'basis': 'images'},
    {'endpoint': 'audio_speeches', 'token_type': "'characters'", 'quantity': 'characters', 'basis': 'characters'},
    {'endpoint': 'audio_transcriptions', 'token_type': "'seconds'", 'quantity': 'seconds', 'basis': 'seconds'},
    {'endpoint': 'code_interpreter_sessions', 'model': "'code interpreter'", 'token_type': "'sessions'",
        'quantity': 'num_sessions', 'basis': 'num_sessions'},
    {'endpoint': 'file_search_calls', 'model': "'file search'", 'token_type': "'calls'",
        'quantity': 'num_requests', 'basis': 'num_requests'},
    {'endpoint': 'web_search_calls', 'model': "'web search'", 'token_type': "'calls'",
        'quantity': 'num_requests', 'basis': 'num_requests'},
    {'endpoint': 'vector_stores', 'model': "'vector storage'", 'token_type': "'storage'",
        'quantity': 'usage_bytes', 'basis': 'usage_bytes', 'billed': storage_gib_hours},
] -%}

{#- Every meter names an endpoint of macros/openai_usage_endpoints.sql (a typo fails to compile). -#}
{%- for meter in meters -%}
    {%- do openai_usage_endpoint(meter.endpoint) -%}
{%- endfor %}

-- `model` is the column name of fct_openai_usage, fct_openai_cost (x_Model) and the price seed.
-- noqa: disable=references.keywords

with

fct_openai_usage as (
    select * from {{ ref('fct_openai_usage') }}
),

usage as (
    select * from fct_openai_usage
    where {{ lookback_predicate(
        'fct_openai_usage.org_id', 'fct_openai_usage.usage_date', 'date', 'org_id', 'usage_date',
    ) }}
),

{# the billing model name, and the batch flag and tier as line items name them (text tokens
    only: audio and image tokens and every other endpoint bill non-batch, default tier) -#}
usage_normalized as (
    select
        *,
        case
            when model like 'ft:%'
                then {{ dbt.concat(["'ft-'", dbt.split_part('model', "':'", 2)]) }}
            else model
        end as billing_model,
        coalesce(is_batch, false) as billing_is_batch,
        case
            when coalesce(is_batch, false) then 'default'
            else coalesce(service_tier, 'default')
        end as billing_service_tier,
        {{ bucket_seconds }} as bucket_seconds
    from usage
),

{# one row per usage row and meter -#}
metered as (
    {%- for meter in meters %}
        select
            org_id,
            usage_date,
            endpoint as usage_endpoint,
            project_id,
            user_id,
            api_key_id,
            {{ meter.model or 'billing_model' }} as model,
            {{ meter.token_type }} as token_type,
            {{ 'billing_is_batch' if meter.tiered else 'false' }} as is_batch,
            {{ 'billing_service_tier' if meter.tiered else "'default'" }} as service_tier,
            '{{ meter.basis }}' as basis_column,
            cast({{ meter.quantity }} as {{ dbt.type_bigint() }}) as usage_quantity,
            {{ meter.billed or 'cast(' ~ meter.quantity ~ ' as ' ~ type_quantity() ~ ')' }}
                as billed_unit_quantity
        from usage_normalized
        where endpoint = '{{ meter.endpoint }}'
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

aggregated as (
    select
        org_id,
        usage_date,
        usage_endpoint,
        project_id,
        user_id,
        api_key_id,
        model,
        token_type,
        is_batch,
        service_tier,
        basis_column,
        sum(usage_quantity) as usage_quantity,
        cast(sum(billed_unit_quantity) as {{ type_quantity() }}) as billed_unit_quantity
    from metered
    where usage_quantity != 0
    group by
        org_id,
        usage_date,
        usage_endpoint,
        project_id,
        user_id,
        api_key_id,
        model,
        token_type,
        is_batch,
        service_tier,
        basis_column
),

final as (
    select
        {{ generate_surrogate_key([
            'org_id', 'usage_date', 'usage_endpoint', 'project_id', 'user_id', 'api_key_id',
            'model', 'token_type', 'is_batch', 'service_tier',
        ]) }} as usage_quantity_id,
        org_id,
        usage_date,
        usage_endpoint,
        project_id,
        user_id,
        api_key_id,
        model,
        token_type,
        is_batch,
        service_tier,
        basis_column,
        usage_quantity,
        billed_unit_quantity
    from aggregated
)

select * from final
