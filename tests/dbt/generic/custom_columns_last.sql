{#- Column order: every column whose name starts with `prefix` (our x_ columns) comes after every
    column that does not (the FOCUS columns), as FOCUS requires of custom columns. Returns one
    row per misplaced column. -#}
{% test custom_columns_last(model, prefix='x_') %}
    {%- set misplaced = [] -%}
    {%- if execute -%}
        {%- set seen_custom = [] -%}
        {%- for column in adapter.get_columns_in_relation(model) -%}
            {%- if column.name.startswith(prefix) -%}
                {%- do seen_custom.append(column.name) -%}
            {%- elif seen_custom | length > 0 -%}
                {%- do misplaced.append(column.name ~ ' comes after ' ~ seen_custom[-1]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if misplaced | length == 0 %}
    select cast(null as {{ dbt.type_string() }}) as misplaced_column where 1 = 0
    {%- else %}
    {%- for problem in misplaced %}
    select '{{ problem }}' as misplaced_column
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- endif %}
{% endtest %}
