{#- Generic data tests used by the allocation and reconciliation models and the price seed. Each
    returns the offending rows themselves, so a failure names them (`dbt test --store-failures`
    or the compiled SQL shows which). -#}

{#- The combination of `column_names` identifies a row: no two rows share it and no part is null. -#}
{% test allocation_unique_key(model, column_names) %}
    {%- if column_names is string or column_names | length == 0 -%}
        {{ exceptions.raise_compiler_error("allocation_unique_key: `column_names` must be a non-empty list, got " ~ column_names) }}
    {%- endif %}
    with keyed as (
        select
            {{ column_names | join(', ') }},
            count(*) over (partition by {{ column_names | join(', ') }}) as rows_with_key
        from {{ model }}
    )

    select *
    from keyed
    where
        rows_with_key > 1
        {%- for column in column_names %}
        or {{ column }} is null
        {%- endfor %}
{% endtest %}

{#- Validity windows [valid_from, valid_to) of rows with the same key do not overlap, and each window
    is non-empty. Returns each offending row with the row it overlaps. -#}
{% test allocation_validity_windows_disjoint(model, key_columns, valid_from='valid_from', valid_to='valid_to') %}
    {%- if key_columns is string or key_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("allocation_validity_windows_disjoint: `key_columns` must be a non-empty list, got " ~ key_columns) }}
    {%- endif %}
    with windows as (
        select
            {{ key_columns | join(', ') }},
            {{ valid_from }} as window_from,
            {{ valid_to }} as window_to,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by {{ valid_from }}, {{ valid_to }}
            ) as window_number
        from {{ model }}
    ),

    empty_windows as (
        select
            {% for column in key_columns -%}
            {{ column }},
            {% endfor -%}
            window_from,
            window_to,
            cast(null as {{ dbt.type_timestamp() }}) as overlapping_from,
            cast(null as {{ dbt.type_timestamp() }}) as overlapping_to,
            'valid_to is not after valid_from' as problem
        from windows
        where window_to is null or window_from is null or window_to <= window_from
    ),

    overlapping_windows as (
        select
            {% for column in key_columns -%}
            windows.{{ column }},
            {% endfor -%}
            windows.window_from,
            windows.window_to,
            cast(other.window_from as {{ dbt.type_timestamp() }}) as overlapping_from,
            cast(other.window_to as {{ dbt.type_timestamp() }}) as overlapping_to,
            'overlaps another window of the same key' as problem
        from windows
        inner join windows as other
            on
                {% for column in key_columns -%}
                windows.{{ column }} = other.{{ column }}
                and {% endfor -%}
                windows.window_number != other.window_number
                and windows.window_from < other.window_to
                and other.window_from < windows.window_to
    )

    select * from empty_windows
    union all
    select * from overlapping_windows
{% endtest %}

{#- The column is never negative (null passes; pair with not_null). -#}
{% test allocation_non_negative(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} < 0
{% endtest %}

{#- FOCUS 1.3 split cost allocation: the AllocatedRatio of the parts of one origin charge add up
    to 1. Ratios are truncated to 12 decimals, so the sum may fall short by under 1e-12 per part.
    Returns each origin whose parts do not add up, with its sum and part count. -#}
{% test allocated_ratios_sum_to_one(model, origin_column, ratio_column) %}
    {%- set origin = adapter.quote(origin_column) -%}
    {%- set ratio = adapter.quote(ratio_column) %}
    select
        {{ origin }} as origin_id,
        sum({{ ratio }}) as ratio_sum,
        count(*) as parts
    from {{ model }}
    group by {{ origin }}
    having sum({{ ratio }}) > 1 or sum({{ ratio }}) < 1 - 1e-12 * count(*)
{% endtest %}
