{#- A flat JSON object (text) from (key, value expression) pairs, leaving out null values, e.g.
    FOCUS `Tags`. Built with portable string functions, escaping backslashes and double quotes;
    values are written as JSON strings. Keys are literals chosen in the model. -#}
{% macro json_flat_object(pairs) -%}
    {{ return(adapter.dispatch('json_flat_object', 'openai_finops')(pairs)) }}
{%- endmacro %}

{% macro default__json_flat_object(pairs) -%}
    {%- if pairs is string or pairs | length == 0 -%}
        {{ exceptions.raise_compiler_error("json_flat_object: `pairs` must be a non-empty list of [key, expression], got " ~ pairs) }}
    {%- endif -%}
    {%- set members = [] -%}
    {%- for key, value in pairs -%}
        {%- set escaped = "replace(replace(cast(" ~ value ~ " as " ~ dbt.type_string() ~ "), '\\', '\\\\'), '\"', '\\\"')" -%}
        {%- do members.append("coalesce(" ~ dbt.concat(["',\"" ~ key ~ "\":\"'", escaped, "'\"'"]) ~ ", '')") -%}
    {%- endfor -%}
    {#- Every member starts with a comma; drop the first one. #}
    {{ dbt.concat(["'{'", "substr(" ~ dbt.concat(members) ~ ", 2)", "'}'"]) }}
{%- endmacro %}
