{#- A stable text key from several columns (nulls kept distinct from empty strings), like
    dbt_utils.generate_surrogate_key, which we cannot install from the hub. -#}
{% macro generate_surrogate_key(columns) -%}
    {{ return(adapter.dispatch('generate_surrogate_key', 'openai_finops')(columns)) }}
{%- endmacro %}

{% macro default__generate_surrogate_key(columns) -%}
    {%- if columns is string or columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("generate_surrogate_key: `columns` must be a non-empty list, got " ~ columns) }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
