{#- A flat JSON object (text) from (key, value expression) pairs, leaving out null values, e.g.
    FOCUS `Tags`. Built with portable string functions, escaping backslashes and double quotes;
    values are written as JSON strings, or as they are with a third item 'number' ([key,
    expression, 'number'], for a numeric expression). Keys are literals chosen in the model. -#}
{% macro json_flat_object(pairs) -%}
    {{ return(adapter.dispatch('json_flat_object', 'openai_finops')(pairs)) }}
{%- endmacro %}

{% macro default__json_flat_object(pairs) -%}
    {%- if pairs is string or pairs | length == 0 -%}
        {{ exceptions.raise_compiler_error("json_flat_object: `pairs` must be a non-empty list of [key, expression], got " ~ pairs) }}
    {%- endif -%}
    {%- set members = [] -%}
    {%- for pair in pairs -%}
        {%- set key, value = pair[0], pair[1] -%}
        {%- if pair | length > 2 and pair[2] == 'number' -%}
            {%- do members.append("coalesce(" ~ dbt.concat(["',\"" ~ key ~ "\":'", "cast(" ~ value ~ " as " ~ dbt.type_string() ~ ")"]) ~ ", '')") -%}
        {%- else -%}
            {%- set escaped = "replace(replace(cast(" ~ value ~ " as " ~ dbt.type_string() ~ "), '\\', '\\\\'), '\"', '\\\"')" -%}
            {%- do members.append("coalesce(" ~ dbt.concat(["',\"" ~ key ~ "\":\"'", escaped, "'\"'"]) ~ ", '')") -%}
        {%- endif -%}
    {%- endfor -%}
    {#- Every member starts with a comma; drop the first one. #}
    {{ dbt.concat(["'{'", "substr(" ~ dbt.concat(members) ~ ", 2)", "'}'"]) }}
{%- endmacro %}
