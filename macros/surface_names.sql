{#- What a person reads for an entity: its name with a short id beside it ("Support Assistant
    (proj_6FkSjr…)"), the id alone where no name is known. -#}
{% macro surface_named(name_expression, id_expression) -%}
    coalesce(
        {{ dbt.concat([name_expression, "' ('", "substr(" ~ id_expression ~ ", 1, 11)", "'…)'"]) }},
        {{ id_expression }}
    )
{%- endmacro %}
