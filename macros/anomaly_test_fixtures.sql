{#- Hand-made int_spend_daily series for the mart_spend_anomalies unit tests
    (tests/dbt/fixtures/anomalies_*.sql): day n is 2026-01-05 (a Monday) + n.

    `anomaly_fixture(series, amounts={}, days=70)`: `series` lists each series as a dict: `level`,
    `id`, optional `project_id` (default 'proj-a', none at org level), `model`, `api_key_id`,
    `user_id`, `first_day` (its first day, default 0; it has rows from then on) and `cost`, a SQL
    expression of `n` or of the named `amounts` (SQL expressions of `n` too). -#}
{% macro anomaly_fixture(series, amounts={}, days=70) -%}
with

days as (

    select tens.digit * 10 + ones.digit as n
    from
        (
            select 0 as digit union all select 1 union all select 2 union all select 3 union all select 4
            union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
        ) as tens
    cross join
        (
            select 0 as digit union all select 1 union all select 2 union all select 3 union all select 4
            union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
        ) as ones

),

amounts as (

    select
        {%- for name, amount in amounts.items() %}
        {{ amount }} as {{ name }},
        {%- endfor %}
        n
    from days
    where n < {{ days }}

),

series as (
    {%- for one in series %}
    {%- set project_id = one.get('project_id', none if one.level == 'org' else 'proj-a') %}

    select
        '{{ one.level }}' as series_level,
        '{{ one.id }}' as series_id,
        {%- for column, value in [('project_id', project_id), ('model', one.get('model')), ('api_key_id', one.get('api_key_id')), ('user_id', one.get('user_id'))] %}
        {{ "'" ~ value ~ "'" if value is not none else 'cast(null as varchar)' }} as {{ column }},
        {%- endfor %}
        {{ one.get('first_day', 0) }} as first_day,
        n,
        {{ one.cost }} as cost
    from amounts
    where n >= {{ one.get('first_day', 0) }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

)

select
    series_level,
    series_id,
    'org-t' as org_id,
    project_id,
    model,
    api_key_id,
    user_id,
    cast('2026-01-05' as date) + n as spend_date,
    20458 + n as day_number,
    cast(cost as decimal(38, 18)) as cost_usd,
    cast(0 as decimal(38, 18)) as intermittent_cost_usd,
    cast('2026-01-05' as date) + first_day as series_first_date,
    cast('2026-01-05' as date) + 0 as level_first_date,
    true as is_complete_day
from series
{%- endmacro %}

{#- About `base` dollars a day, +/-5% by a fixed pattern of the day (`shift` moves the pattern). -#}
{% macro anomaly_fixture_noise(base, shift=0) -%}
    {{ base }} * (1 + (mod(n * 37{{ ' + ' ~ shift if shift }}, 11) - 5) / 100.0)
{%- endmacro %}
