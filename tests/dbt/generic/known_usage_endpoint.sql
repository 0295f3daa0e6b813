{#- Every value of the column names a usage endpoint of macros/openai_usage_endpoints.sql. -#}
{% test known_usage_endpoint(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} not in (
        {%- for endpoint in openai_usage_endpoints() -%}
            '{{ endpoint.name }}'{{ ", " if not loop.last }}
        {%- endfor -%}
    )
{% endtest %}
