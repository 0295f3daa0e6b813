{#- Best-effort parsing of OpenAI's free-text cost `line_item` (CONTRACT.md §7 #14). Live shapes:
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
    Every macro takes the raw column and returns a portable SQL expression (split_part, replace,
    position); none of them filters rows: a line item that does not parse keeps its cost and is
    flagged by `line_item_is_parsed`. -#}

{#- lower case, brackets as spaces, single spaces, padded with one space each side -#}
{% macro _line_item_padded(column) -%}
    {%- set cleaned -%}
        replace(replace(replace(replace(replace(lower(trim({{ column }})), '(', ' '), ')', ' '), ',', ' , '), '  ', ' '), '  ', ' ')
    {%- endset -%}
    ({{ dbt.concat(["' '", cleaned, "' '"]) }})
{%- endmacro %}

{#- the line item without qualifiers (batch, tier) and without the surface prefix -#}
{% macro _line_item_body(column) -%}
    {%- set padded = openai_finops._line_item_padded(column) -%}
    {%- set unqualified -%}
        replace(replace(replace(replace(replace(replace(replace({{ padded }},
            ' batch ', ' '), ' flex ', ' '), ' priority ', ' '), ' scale tier ', ' '), ' scale ', ' '),
            ' default ', ' '), ' | ', '|')
    {%- endset -%}
    trim(case
        when position('|' in {{ unqualified }}) > 0
            then {{ dbt.split_part(unqualified, "'|'", 2) }}
        else {{ unqualified }}
    end)
{%- endmacro %}

{#- what the line item bills through, before ` | ` (`assistants api`, `evals`), else null -#}
{% macro line_item_surface(column) -%}
    {%- set padded = openai_finops._line_item_padded(column) -%}
    case
        when position(' | ' in {{ padded }}) > 0
            and trim({{ dbt.split_part(padded, "' | '", 1) }}) not in ('batch', 'flex', 'priority', 'scale', 'default')
            then trim({{ dbt.split_part(padded, "' | '", 1) }})
    end
{%- endmacro %}

{#- model and modality as written before the comma (`gpt-4o-mini-2024-07-18 audio`) -#}
{% macro _line_item_head(column) -%}
    trim({{ dbt.split_part(openai_finops._line_item_body(column), "','", 1) }})
{%- endmacro %}

{#- what is billed after the comma, as written (`cached input`, `1024x1024`, `characters`) -#}
{% macro _line_item_direction(column) -%}
    {%- set body = openai_finops._line_item_body(column) -%}
    case
        when position(',' in {{ body }}) > 0
            then nullif(trim({{ dbt.split_part(body, "','", 2) }}), '')
    end
{%- endmacro %}

{#- image size when the line item bills images by size (`dall-e-3, 1024x1024`), else null -#}
{% macro line_item_image_size(column) -%}
    {%- set direction = openai_finops._line_item_direction(column) -%}
    case
        when ({{ direction }}) like '%_x_%'
            and substr({{ direction }}, 1, 1) between '0' and '9'
            and {{ dbt.right(direction, 1) }} between '0' and '9'
            then {{ direction }}
    end
{%- endmacro %}

{#- token type after the comma: input, cached input, output, training, characters, seconds;
    `image` for images billed by size; null when there is no comma -#}
{% macro line_item_token_type(column) -%}
    case
        when ({{ openai_finops.line_item_image_size(column) }}) is not null then 'image'
        else {{ openai_finops._line_item_direction(column) }}
    end
{%- endmacro %}

{#- modality written after the model: audio, image or text (null when not written) -#}
{% macro line_item_modality(column) -%}
    {%- set head = openai_finops._line_item_head(column) -%}
    case
        when position(',' in {{ openai_finops._line_item_body(column) }}) = 0 then null
        when {{ dbt.right(head, 6) }} = ' audio' then 'audio'
        when {{ dbt.right(head, 6) }} = ' image' then 'image'
        when {{ dbt.right(head, 5) }} = ' text' then 'text'
    end
{%- endmacro %}

{#- model name (null for tool charges without a model and for unparseable line items) -#}
{% macro line_item_model(column) -%}
    {%- set head = openai_finops._line_item_head(column) -%}
    case
        when position(',' in {{ openai_finops._line_item_body(column) }}) = 0 then null
        when position(' ' in {{ head }}) = 0 then nullif({{ head }}, '')
        when {{ dbt.right(head, 6) }} in (' audio', ' image')
            and position(' ' in substr({{ head }}, 1, {{ dbt.length(head) }} - 6)) = 0
            then substr({{ head }}, 1, {{ dbt.length(head) }} - 6)
        when {{ dbt.right(head, 5) }} = ' text'
            and position(' ' in substr({{ head }}, 1, {{ dbt.length(head) }} - 5)) = 0
            then substr({{ head }}, 1, {{ dbt.length(head) }} - 5)
    end
{%- endmacro %}

{#- true when the line item says batch, false otherwise -#}
{% macro line_item_is_batch(column) -%}
    (position(' batch ' in {{ openai_finops._line_item_padded(column) }}) > 0)
{%- endmacro %}

{#- service tier when the line item names one (flex, priority, scale, default), else null -#}
{% macro line_item_service_tier(column) -%}
    {%- set padded = openai_finops._line_item_padded(column) -%}
    case
        when position(' flex ' in {{ padded }}) > 0 then 'flex'
        when position(' priority ' in {{ padded }}) > 0 then 'priority'
        when position(' scale ' in {{ padded }}) > 0 then 'scale'
        when position(' default ' in {{ padded }}) > 0 then 'default'
    end
{%- endmacro %}

{#- tool charges billed per call or per session, without a model -#}
{% macro line_item_tool(column) -%}
    {%- set padded = openai_finops._line_item_padded(column) -%}
    case
        when position(' web search ' in {{ padded }}) > 0 then 'web search'
        when position(' file search storage ' in {{ padded }}) > 0 then 'file search storage'
        when position(' file search ' in {{ padded }}) > 0 then 'file search'
        when position(' code interpreter ' in {{ padded }}) > 0 then 'code interpreter'
        when position(' vector stor' in {{ padded }}) > 0 then 'vector storage'
    end
{%- endmacro %}

{#- true when model and a known token type, or a known tool, were recognised -#}
{% macro line_item_is_parsed(column) -%}
    coalesce(
        ({{ openai_finops.line_item_model(column) }}) is not null
        and ({{ openai_finops.line_item_token_type(column) }}) in (
            'input', 'cached input', 'cache write input', 'output', 'training', 'image',
            'characters', 'seconds'
        )
        or ({{ openai_finops.line_item_model(column) }}) is null
        and position(',' in {{ openai_finops._line_item_body(column) }}) = 0
        and ({{ openai_finops.line_item_tool(column) }}) is not null,
        false
    )
{%- endmacro %}

{#- FOCUS ServiceName for a line item: one per OpenAI service -#}
{% macro line_item_service_name(column) -%}
    {%- set model = openai_finops.line_item_model(column) -%}
    {%- set surface = openai_finops.line_item_surface(column) -%}
    {%- set tool = openai_finops.line_item_tool(column) -%}
    {%- set token_type = openai_finops.line_item_token_type(column) -%}
    case
        when ({{ tool }}) = 'web search' then 'OpenAI Web Search'
        when ({{ tool }}) is not null and ({{ model }}) is null then 'OpenAI Assistants'
        when ({{ surface }}) like 'assistants%' then 'OpenAI Assistants'
        when ({{ surface }}) like 'eval%' then 'OpenAI Evals'
        when ({{ token_type }}) = 'training' or ({{ model }}) like 'ft-%' or ({{ model }}) like 'ft:%'
            then 'OpenAI Fine-tuning'
        when ({{ model }}) like '%embedding%' then 'OpenAI Embeddings'
        when ({{ model }}) like '%moderation%' then 'OpenAI Moderations'
        when ({{ model }}) like 'dall-e%' or ({{ model }}) like 'gpt-image%' then 'OpenAI Images'
        when ({{ model }}) like 'tts%' or ({{ model }}) like 'whisper%' or ({{ model }}) like '%transcribe%'
            or ({{ model }}) like '%-tts%' or ({{ model }}) like '%realtime%'
            or ({{ openai_finops.line_item_modality(column) }}) = 'audio'
            then 'OpenAI Audio'
        when ({{ model }}) is not null then 'OpenAI Chat Completions'
        else 'OpenAI Other'
    end
{%- endmacro %}
