{#- The median of an expression, as an aggregate (use with `group by`). Window medians are not
    portable, so models self-join the history they need and aggregate it with this macro. DuckDB,
    PostgreSQL, Snowflake and Redshift all accept the ordered-set form, so the default is the only
    implementation; an adapter without it adds `<adapter>__median`. BigQuery is one (untested here):
    `approx_quantiles(expression, 2)[offset(1)]` as an aggregate, or `percentile_cont` as a window. -#}
{% macro median(expression) -%}
    {%- if expression is not string or expression | trim == '' -%}
        {{ exceptions.raise_compiler_error("median: `expression` must be a non-empty SQL expression, got " ~ expression) }}
    {%- endif -%}
    {{ return(adapter.dispatch('median', 'openai_finops')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}
