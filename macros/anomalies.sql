{#- Small dialect-sensitive pieces of the spend anomaly and budget models, each dispatched so an
    adapter that needs another spelling overrides only that piece. -#}

{#- ln(1 + x): the scale anomalies are scored on, so a spike and a drop of the same factor score
    alike. -#}
{% macro anomalies_ln1p(expression) -%}
    {{ return(adapter.dispatch('anomalies_ln1p', 'openai_finops')(expression)) }}
{%- endmacro %}

{% macro default__anomalies_ln1p(expression) -%}
    ln(1 + cast({{ expression }} as {{ dbt.type_float() }}))
{%- endmacro %}

{#- exp(x) - 1: back from the log scale to dollars. -#}
{% macro anomalies_expm1(expression) -%}
    {{ return(adapter.dispatch('anomalies_expm1', 'openai_finops')(expression)) }}
{%- endmacro %}

{% macro default__anomalies_expm1(expression) -%}
    (exp({{ expression }}) - 1)
{%- endmacro %}

{#- Whole days since 1970-01-01 of a date: an integer that day arithmetic and equi-joins
    ("the same weekday 7, 14, ... days back") can use on every warehouse. -#}
{% macro anomalies_day_number(date_expression) -%}
    {{ return(adapter.dispatch('anomalies_day_number', 'openai_finops')(date_expression)) }}
{%- endmacro %}

{% macro default__anomalies_day_number(date_expression) -%}
    {{ dbt.datediff("cast('1970-01-01' as date)", date_expression, 'day') }}
{%- endmacro %}

{#- A date a whole number of days after another (negative: before), typed as a date. -#}
{% macro anomalies_add_days(date_expression, days) -%}
    {{ return(adapter.dispatch('anomalies_add_days', 'openai_finops')(date_expression, days)) }}
{%- endmacro %}

{% macro default__anomalies_add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{#- The integers 0 .. count - 1 as a one-column query (`offset_number`), from cross-joined digit
    lists: plain SQL that runs anywhere, used for date spines and "the previous N days" joins. -#}
{% macro anomalies_integers(count) -%}
    {%- if count is not number or count < 1 or count > 100000 -%}
        {{ exceptions.raise_compiler_error("anomalies_integers: `count` must be an integer from 1 to 100000, got " ~ count) }}
    {%- endif -%}
    {{ return(adapter.dispatch('anomalies_integers', 'openai_finops')(count)) }}
{%- endmacro %}

{% macro default__anomalies_integers(count) -%}
    {%- set digit_count = (count - 1) | string | length -%}
    select offset_number
    from (
        select
            {% for position in range(digit_count) -%}
                digits_{{ position }}.digit * {{ 10 ** position }}{{ ' +' if not loop.last }}
            {% endfor -%} as offset_number
        from
            {% for position in range(digit_count) -%}
                (
                    select 0 as digit union all select 1 union all select 2 union all select 3
                    union all select 4 union all select 5 union all select 6 union all select 7
                    union all select 8 union all select 9
                ) as digits_{{ position }}{{ ' cross join' if not loop.last }}
            {% endfor %}
    ) as integers
    where offset_number < {{ count }}
{%- endmacro %}
