{#- Every row (optionally filtered with the test's `where` config) satisfies `expression`;
    returns the rows that do not. Like dbt_utils.expression_is_true. -#}
{% test expression_is_true(model, expression) %}
    {%- if expression is none or (expression | trim) == '' -%}
        {{ exceptions.raise_compiler_error("expression_is_true: `expression` is required") }}
    {%- endif -%}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
