{#- The rows of `relation` (a staging model's typed `source` CTE) from the newest dlt load of each
    `keys` value: a select statement, every column of `relation` kept.

    The default ranks the rows (`row_number()` by load, newest first) and keeps the first of each
    key, so it also drops exact copies of a row left by an interrupted load package that resumed
    (tested on PostgreSQL; standard SQL that Snowflake, BigQuery and Redshift accept, untested). -#}
{% macro newest_load_rows(relation, keys) -%}
    {%- if keys is string or keys | length == 0 -%}
        {{ exceptions.raise_compiler_error("newest_load_rows: `keys` must be a non-empty list of columns, got " ~ keys) }}
    {%- endif -%}
    {{ return(adapter.dispatch('newest_load_rows', 'openai_finops')(relation, keys)) }}
{%- endmacro %}

{% macro default__newest_load_rows(relation, keys) -%}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ keys | join(', ') }}
                order by {{ openai_finops.load_id_sort_key('dlt_load_id') }} desc
            ) as load_rank
        from {{ relation }}
    ) as ranked
    where load_rank = 1
{%- endmacro %}

{#- DuckDB: the newest load of each key, joined back to its rows. The window sorts every column of
    every row: a year's completions (3.9M rows, 30 columns) took DuckDB 8 to 13 s that way and 5 to
    6 s this way, and filters on the keys (an incremental model's lookback) still reach the raw
    table on both sides of the join. A join keeps both copies of a row that a resumed load package
    inserted twice; on DuckDB the loader deletes those copies after every resumed package
    (loader/pipeline.py, remove_duplicate_rows). The keys are never null (the loader's
    `nullable: false` columns). -#}
{% macro duckdb__newest_load_rows(relation, keys) -%}
    select {{ relation }}.*
    from {{ relation }}
    inner join (
        select
            {{ keys | join(', ') }},
            max({{ openai_finops.load_id_sort_key('dlt_load_id') }}) as newest_load_sort_key
        from {{ relation }}
        group by {{ keys | join(', ') }}
    ) as newest_loads
        on
        {%- for key in keys %}
        {{ relation }}.{{ key }} = newest_loads.{{ key }} and
        {%- endfor %}
        {{ openai_finops.load_id_sort_key(relation ~ '.dlt_load_id') }} = newest_loads.newest_load_sort_key
{%- endmacro %}
