{#- The grain test: no two rows share the same values of `combination_of_columns` (nulls compare
    equal, as in group by), like dbt_utils.unique_combination_of_columns. Columns are quoted, so
    FOCUS names (`BillingAccountId`) keep their case on every warehouse. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- if combination_of_columns is string or combination_of_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("unique_combination_of_columns: `combination_of_columns` must be a non-empty list, got " ~ combination_of_columns) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in combination_of_columns -%}
        {%- do columns.append(adapter.quote(column)) -%}
    {%- endfor -%}
    with

    validation as (
        select
            {{ columns | join(',\n            ') }},
            count(*) as row_count
        from {{ model }}
        group by {{ columns | join(', ') }}
        having count(*) > 1
    )

    select * from validation
{% endtest %}
