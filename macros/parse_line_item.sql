{#- Best-effort parsing of OpenAI's free-text cost `line_item` (CONTRACT.md §7 #14). Shapes:
        gpt-4o-2024-08-06, input                  model, token type
        gpt-4o-mini-2024-07-18, cached input
        ft-gpt-4o-2024-08-06, training            fine-tuning (training or fine-tuned inference)
        evals | gpt-4o-mini-2024-07-18, input     "<surface> | <model>, <token type>"
        gpt-4o-mini-2024-07-18 audio, input       "<model> <modality>, <token type>"
        gpt-image-1 image, cached input
        gpt-4o-2024-08-06, batch input            batch and service-tier qualifiers as words
        gpt-5, flex cached input                  (also accepted in brackets or before ` | `)
        dall-e-3, 1024x1024                       images by size (token type `image`)
        tts-1, characters / whisper-1, seconds    speech and transcription
        assistants api | file search              tool charges without a model
        assistants api | file search storage
        assistants api | code interpreter
        web search tool calls

    The parse runs in steps, each macro reading the columns the previous step produced (see
    int_openai_costs_selected), which keeps the compiled SQL small:
        normalized = line_item_normalized(line_item)
        body, surface, tool, service tier, batch   from normalized
        head, direction                            from body
        model, modality, image size, token type    from head and direction
        service name, is parsed                    from those
    Every macro returns a portable SQL expression (split_part, replace, position); none filters
    rows: a line item that does not parse keeps its cost and is flagged by line_item_is_parsed. -#}

{#- lower case, brackets as spaces, commas spaced out, single spaces, one space padding each side -#}
{% macro line_item_normalized(line_item) -%}
    {%- set cleaned -%}
        replace(replace(replace(replace(replace(
            lower(trim({{ line_item }})), '(', ' '), ')', ' '), ',', ' , '), '  ', ' '), '  ', ' ')
    {%- endset -%}
    {{ dbt.concat(["' '", cleaned, "' '"]) }}
{%- endmacro %}

{#- the line item without qualifier words (batch, tiers) and without the `<surface> | ` prefix -#}
{% macro line_item_body(normalized) -%}
    {%- set unqualified -%}
        replace(replace(replace(replace(replace(replace(replace({{ normalized }},
            ' batch ', ' '), ' flex ', ' '), ' priority ', ' '), ' scale tier ', ' '), ' scale ', ' '),
            ' default ', ' '), ' | ', '|')
    {%- endset -%}
    trim(case
        when position('|' in {{ unqualified }}) > 0 then {{ dbt.split_part(unqualified, "'|'", 2) }}
        else {{ unqualified }}
    end)
{%- endmacro %}

{#- what the line item bills through, before ` | ` (`assistants api`, `evals`), else null -#}
{% macro line_item_surface(normalized) -%}
    {%- set before_bar = "trim(" ~ dbt.split_part(normalized, "' | '", 1) ~ ")" -%}
    case
        when position(' | ' in {{ normalized }}) > 0
            and {{ before_bar }} not in ('batch', 'flex', 'priority', 'scale', 'default')
            then {{ before_bar }}
    end
{%- endmacro %}

{#- true when the line item says batch -#}
{% macro line_item_is_batch(normalized) -%}
    (position(' batch ' in {{ normalized }}) > 0)
{%- endmacro %}

{#- service tier when the line item names one (flex, priority, scale, default), else null -#}
{% macro line_item_service_tier(normalized) -%}
    case
        when position(' flex ' in {{ normalized }}) > 0 then 'flex'
        when position(' priority ' in {{ normalized }}) > 0 then 'priority'
        when position(' scale ' in {{ normalized }}) > 0 then 'scale'
        when position(' default ' in {{ normalized }}) > 0 then 'default'
    end
{%- endmacro %}

{#- tool charges billed per call, session or storage, without a model -#}
{% macro line_item_tool(normalized) -%}
    case
        when position(' web search ' in {{ normalized }}) > 0 then 'web search'
        when position(' file search storage ' in {{ normalized }}) > 0 then 'file search storage'
        when position(' file search ' in {{ normalized }}) > 0 then 'file search'
        when position(' code interpreter ' in {{ normalized }}) > 0 then 'code interpreter'
        when position(' vector stor' in {{ normalized }}) > 0 then 'vector storage'
    end
{%- endmacro %}

{#- model and modality as written before the comma (`gpt-4o-mini-2024-07-18 audio`); null without a comma -#}
{% macro line_item_head(body) -%}
    case when position(',' in {{ body }}) > 0 then trim({{ dbt.split_part(body, "','", 1) }}) end
{%- endmacro %}

{#- what is billed, after the comma (`cached input`, `1024x1024`, `characters`); null without a comma -#}
{% macro line_item_direction(body) -%}
    case when position(',' in {{ body }}) > 0 then nullif(trim({{ dbt.split_part(body, "','", 2) }}), '') end
{%- endmacro %}

{#- modality written after the model: audio, image or text (null when not written) -#}
{% macro line_item_modality(head) -%}
    case
        when {{ dbt.right(head, 6) }} = ' audio' then 'audio'
        when {{ dbt.right(head, 6) }} = ' image' then 'image'
        when {{ dbt.right(head, 5) }} = ' text' then 'text'
    end
{%- endmacro %}

{#- model name: the head without its modality; null when that is not a single word -#}
{% macro line_item_model(head, modality) -%}
    {%- set model = "trim(substr(" ~ head ~ ", 1, " ~ dbt.length(head) ~ " - coalesce(" ~ dbt.length(modality) ~ ", 0)))" -%}
    case when position(' ' in {{ model }}) = 0 then nullif({{ model }}, '') end
{%- endmacro %}

{#- image size when the line item bills images by size (`dall-e-3, 1024x1024`), else null -#}
{% macro line_item_image_size(direction) -%}
    case
        when {{ direction }} like '%_x_%'
            and substr({{ direction }}, 1, 1) between '0' and '9'
            and {{ dbt.right(direction, 1) }} between '0' and '9'
            then {{ direction }}
    end
{%- endmacro %}

{#- token type: input, cached input, output, training, characters, seconds as written after the
    comma; `image` for images billed by size; null without a comma -#}
{% macro line_item_token_type(direction, image_size) -%}
    case when {{ image_size }} is not null then 'image' else {{ direction }} end
{%- endmacro %}

{#- true when a model and a known token type, or a known tool alone, were recognised -#}
{% macro line_item_is_parsed(model, token_type, tool, direction) -%}
    coalesce(
        {{ model }} is not null
        and {{ token_type }} in (
            'input', 'cached input', 'cache write input', 'output', 'training', 'image', 'characters', 'seconds'
        )
        or {{ model }} is null and {{ direction }} is null and {{ tool }} is not null,
        false
    )
{%- endmacro %}

{#- FOCUS ServiceName: one per OpenAI service -#}
{% macro line_item_service_name(model, token_type, modality, surface, tool) -%}
    case
        when {{ tool }} = 'web search' then 'OpenAI Web Search'
        when {{ tool }} is not null and {{ model }} is null then 'OpenAI Assistants'
        when {{ surface }} like 'assistants%' then 'OpenAI Assistants'
        when {{ surface }} like 'eval%' then 'OpenAI Evals'
        when {{ token_type }} = 'training' or {{ model }} like 'ft-%' or {{ model }} like 'ft:%'
            then 'OpenAI Fine-tuning'
        when {{ model }} like '%embedding%' then 'OpenAI Embeddings'
        when {{ model }} like '%moderation%' then 'OpenAI Moderations'
        when {{ model }} like 'dall-e%' or {{ model }} like 'gpt-image%' then 'OpenAI Images'
        when
            {{ model }} like 'tts%' or {{ model }} like 'whisper%' or {{ model }} like '%transcribe%'
            or {{ model }} like '%-tts%' or {{ model }} like '%realtime%' or {{ modality }} = 'audio'
            then 'OpenAI Audio'
        when {{ model }} is not null then 'OpenAI Chat Completions'
        else 'OpenAI Other'
    end
{%- endmacro %}
