{#- FOCUS column presence: every column in `columns` is in the relation and none in `absent` is
    (names compared exactly: FOCUS is case-sensitive). Returns one row per missing or unexpected
    column. -#}
{% test focus_columns_present(model, columns, absent=[]) %}
    {%- set missing = [] -%}
    {%- if execute -%}
        {%- set present = adapter.get_columns_in_relation(model) | map(attribute='name') | list -%}
        {%- for name in columns -%}
            {%- if name not in present -%}
                {%- do missing.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for name in absent -%}
            {%- if name in present -%}
                {%- do missing.append('unexpected ' ~ name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if missing | length == 0 %}
    select cast(null as {{ dbt.type_string() }}) as missing_column where 1 = 0
    {%- else %}
    {%- for name in missing %}
    select '{{ name }}' as missing_column
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- endif %}
{% endtest %}
