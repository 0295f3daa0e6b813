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

{#- The spend series levels int_spend_daily builds, one line each: `columns` maps each series
    column it sets (project_id, model, api_key_id, user_id; the others are null) to the cost
    column it comes from; the series id is the organization, then the project, then `tag` and the
    last column's value; `costs` is `users` for the part of the bill allocated to users; `where`
    keeps the rows a level covers. A new level is one more line. -#}
{% macro spend_series_levels() -%}
    {{ return([
        {'name': 'org', 'columns': {}},
        {'name': 'project', 'columns': {'project_id': 'project_id'}},
        {'name': 'project_model', 'columns': {'project_id': 'project_id', 'model': 'model'}, 'tag': 'model', 'where': 'model is not null'},
        {'name': 'api_key', 'columns': {'project_id': 'project_id', 'api_key_id': 'api_key_id'}, 'tag': 'key', 'where': 'api_key_id is not null'},
        {'name': 'project_line_item', 'columns': {'project_id': 'project_id', 'model': 'line_item'}, 'tag': 'line_item', 'where': 'intermittent_cost_usd <> 0'},
        {'name': 'project_user', 'columns': {'project_id': 'project_id', 'user_id': 'user_id'}, 'tag': 'user', 'costs': 'users'},
    ]) }}
{%- endmacro %}

{#- The columns every spend series carries besides the organization. -#}
{% macro spend_series_columns() -%}
    {{ return(['project_id', 'model', 'api_key_id', 'user_id']) }}
{%- endmacro %}

{#- A series column at one level: the cost column it comes from, or a typed null. -#}
{% macro spend_series_column(level, column) -%}
    {%- set source = level.columns.get(column) -%}
    {%- if source is none -%} cast(null as {{ dbt.type_string() }}) as {{ column }}
    {%- elif source == column -%} {{ column }}
    {%- else -%} {{ source }} as {{ column }}
    {%- endif -%}
{%- endmacro %}

{#- A level's series id: org_id, '/' project_id, '/<tag>/' and the value of its last column. -#}
{% macro spend_series_id(level) -%}
    {%- set parts = ['org_id'] -%}
    {%- if 'project_id' in level.columns -%}
        {%- do parts.extend(["'/'", 'project_id']) -%}
    {%- endif -%}
    {%- if level.tag -%}
        {%- do parts.extend(["'/" ~ level.tag ~ "/'", (level.columns.values() | list)[-1]]) -%}
    {%- endif -%}
    {{ parts[0] if parts | length == 1 else dbt.concat(parts) }}
{%- endmacro %}

{#- The drivers of an anomaly as one line, `<kind> <driver> +$<impact>; ...` in `driver_rank`
    order: the aggregate over one anomaly's driver rows. -#}
{% macro spend_driver_list(kind_column, driver_column, impact_column='driver_impact_usd') -%}
    {{ dbt.listagg(
        dbt.concat([
            kind_column, "' '", driver_column, "' '",
            "case when " ~ impact_column ~ " >= 0 then '+' else '-' end", "'$'",
            'cast(cast(abs(' ~ impact_column ~ ') as decimal(18, 2)) as ' ~ dbt.type_string() ~ ')'
        ]),
        "'; '",
        'order by driver_rank',
    ) }}
{%- endmacro %}
