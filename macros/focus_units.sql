{#- OpenAI's costs `quantity_unit` in FOCUS unit spelling (FOCUS 1.2 Unit Format). Known units
    (CONTRACT.md §3.4) map exactly; an unknown one is kept readable (`_` to space, first letter
    upper case) and caught by the unit-spelling test on fct_openai_cost. -#}
{% macro focus_consumed_unit(quantity_unit) -%}
    case lower({{ quantity_unit }})
        when 'tokens' then 'Tokens'
        when '1000_tokens' then '1000 Tokens'
        when '1k_tokens' then '1000 Tokens'
        when '1000000_tokens' then '1000000 Tokens'
        when 'duration_seconds' then 'Seconds'
        when 'seconds' then 'Seconds'
        when 'duration_minutes' then 'Minutes'
        when 'minutes' then 'Minutes'
        when 'duration_hours' then 'Hours'
        when 'hours' then 'Hours'
        when 'gibibyte_hours' then 'GB-Hours'
        when 'images' then 'Images'
        when 'characters' then 'Characters'
        when 'requests' then 'Requests'
        when 'calls' then 'Requests'
        when 'session' then 'Sessions'
        when 'sessions' then 'Sessions'
        else {{ dbt.concat([
            "upper(substr(" ~ quantity_unit ~ ", 1, 1))",
            "replace(substr(" ~ quantity_unit ~ ", 2), '_', ' ')",
        ]) }}
    end
{%- endmacro %}

{#- Token quantities are priced per million tokens (readable unit prices); the factor turns a
    consumed quantity into a pricing quantity. Other units are priced as consumed. -#}
{% macro focus_pricing_unit(consumed_unit) -%}
    case
        when {{ consumed_unit }} in ('Tokens', '1000 Tokens', '1000000 Tokens') then '1000000 Tokens'
        else {{ consumed_unit }}
    end
{%- endmacro %}

{% macro focus_pricing_factor(consumed_unit) -%}
    case {{ consumed_unit }}
        when 'Tokens' then cast(0.000001 as decimal(7, 6))
        when '1000 Tokens' then cast(0.001 as decimal(7, 6))
        else cast(1 as decimal(7, 6))
    end
{%- endmacro %}

{#- The unit a parsed line item implies (`gpt-4o, input` is billed in tokens), for a cost line
    without quantity_unit whose line item the prices seed does not list; null when it implies none. -#}
{% macro focus_unit_of_line_item(token_type) -%}
    case
        when {{ token_type }} in ('input', 'cached input', 'cache write input', 'output', 'training') then 'Tokens'
        when {{ token_type }} = 'image' then 'Images'
        when {{ token_type }} = 'characters' then 'Characters'
        when {{ token_type }} = 'seconds' then 'Seconds'
    end
{%- endmacro %}
