{#-
    Daily billed usage cost per spend series, the input of the anomaly mart: one row per series and
    UTC day, dense (days without spend are 0) from the series' first day with spend to the
    organization's latest loaded day. Four levels, each a partition of the same bill: org,
    project, project_model (project and model; line items without a model by line item) and
    api_key (project and key; only days billed per key, which OpenAI has from 2025-12-06).
    A fifth, project_user (project and user), is the part of the bill fct_openai_cost_allocated
    attributes to users by their usage: not a partition (spend of service-account keys and
    unallocated spend have no user), but it covers all loaded days, before 2025-12-06 too. The
    anomaly mart scores user series to rank them as drivers of project and org anomalies.

    Intermittent charges, a project's line items billed on fewer than
    `anomaly_intermittent_active_share` of the `anomaly_intermittent_window_days` (28) days up to
    the day (fine-tuning training jobs, say), are bursty by nature: every series carries them
    apart in `intermittent_cost_usd` so that the seasonal rule judges the regular spend alone, and
    each is also a series of its own at a sixth level, project_line_item, judged by the sparse
    rule. A line item first billed less than a window ago is judged on the days since then: its
    first day is never intermittent, its second burst can be. A day's classification looks at
    that day and the days before it only, never after: a day's row does not change when later
    days are loaded, so mart_spend_anomalies can rescore only the days a run changes and still
    equal a full refresh.
-#}
{#- Incremental like the facts it reads (macros/incremental_lookback.sql): a run recomputes, per
    organization, the days from `lookback_days` before its latest day on, from the costs of those
    days and of the intermittent window before them; a series' first day comes from the rows
    already built when it is older than that. -#}
{{
    config(
        materialized='incremental',
        unique_key=['org_id', 'spend_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}
{%- set settings = spend_anomalies_settings() -%}
{%- set intermittent_share = settings.intermittent_active_share -%}
{%- set intermittent_window_days = settings.intermittent_window_days -%}
{%- set partial_latest_day = settings.latest_day_is_partial -%}

-- FOCUS column names are quoted so that they keep their case on PostgreSQL; sqlfluff's DuckDB
-- dialect (case-insensitive) calls those quotes unnecessary.
-- noqa: disable=references.quoting
-- `model` is the column name of fct_openai_usage, fct_openai_cost (x_Model) and the price seed.
-- noqa: disable=references.keywords

with

fct_openai_cost as (

    select * from {{ ref('fct_openai_cost') }}

),

fct_openai_cost_allocated as (

    select * from {{ ref('fct_openai_cost_allocated') }}

),

costs as (

    select
        "BillingAccountId" as org_id,
        "x_ApiKeyId" as api_key_id,
        "x_LineItem" as line_item,
        "BilledCost" as cost_usd,
        cast("ChargePeriodStart" as date) as spend_date,
        coalesce("SubAccountId", '(no project)') as project_id,
        coalesce("x_Model", "x_LineItem") as model
    from fct_openai_cost
    -- credits and adjustments are not consumption: budgets count them, anomalies do not
    where "ChargeCategory" = 'Usage'

),

-- the parts of the usage bill allocated to users (fct_openai_cost_allocated splits Usage rows only)
user_costs as (

    select
        "BillingAccountId" as org_id,
        "x_AllocatedUserId" as user_id,
        "x_LineItem" as line_item,
        "BilledCost" as cost_usd,
        cast("ChargePeriodStart" as date) as spend_date,
        coalesce("SubAccountId", '(no project)') as project_id
    from fct_openai_cost_allocated
    where "x_AllocatedUserId" is not null

),

org_days as (

    select
        org_id,
        max(spend_date) as latest_date
    from costs
    group by org_id

),

-- a project's line item per day it was billed, in the recomputed days and the window before them
line_item_days as (

    select
        org_id,
        project_id,
        line_item,
        spend_date,
        {{ anomalies_day_number('spend_date') }} as day_number
    from costs
    where {{ lookback_predicate(
        'org_id', 'spend_date', 'date', 'org_id', 'spend_date', reach_days=intermittent_window_days - 1
    ) }}
    group by org_id, project_id, line_item, spend_date
    having count(case when cost_usd <> 0 then 1 end) > 0

),

line_item_first_days as (

    select
        org_id,
        project_id,
        line_item,
        {{ anomalies_day_number('min(spend_date)') }} as first_day_number
    from costs
    where cost_usd <> 0
    group by org_id, project_id, line_item

),

-- billed days in the window up to each billed day, and the line item's first billed day
line_item_activity as (

    select
        line_item_days.org_id,
        line_item_days.project_id,
        line_item_days.line_item,
        line_item_days.spend_date,
        count(*) over (
            partition by line_item_days.org_id, line_item_days.project_id, line_item_days.line_item
            order by line_item_days.day_number
            range between {{ intermittent_window_days - 1 }} preceding and current row
        ) as window_active_days,
        line_item_first_days.first_day_number,
        line_item_days.day_number
    from line_item_days
    inner join line_item_first_days
        on
            line_item_days.org_id = line_item_first_days.org_id
            and line_item_days.project_id = line_item_first_days.project_id
            and line_item_days.line_item = line_item_first_days.line_item

),

intermittent_line_item_days as (

    select
        org_id,
        project_id,
        line_item,
        spend_date
    from line_item_activity
    where
        window_active_days < {{ intermittent_share }} * least(
            day_number - first_day_number + 1, {{ intermittent_window_days }}
        )

),

{#- The recomputed days of the bill and of its part allocated to users, each cost marked
    intermittent or not: classified_costs, classified_user_costs. -#}
{%- for costs in ['costs', 'user_costs'] %}
    classified_{{ costs }} as (

        select
            recomputed.*,
            case
                when intermittent.line_item is not null then recomputed.cost_usd
                else 0
            end as intermittent_cost_usd
        from {{ costs }} as recomputed
        left join intermittent_line_item_days as intermittent
            on
                recomputed.org_id = intermittent.org_id
                and recomputed.project_id = intermittent.project_id
                and recomputed.line_item = intermittent.line_item
                and recomputed.spend_date = intermittent.spend_date
        where {{ lookback_predicate('recomputed.org_id', 'recomputed.spend_date', 'date', 'org_id', 'spend_date') }}

    ),
{% endfor %}
-- one row per series and day, at every level of spend_series_levels() (macros/anomalies.sql)
series_costs as (
    {%- for level in spend_series_levels() %}
        select
            '{{ level.name }}' as series_level,
            {{ spend_series_id(level) }} as series_id,
            org_id,
            {%- for column in spend_series_columns() %}
                {{ spend_series_column(level, column) }},
            {%- endfor %}
            spend_date,
            sum(cost_usd) as cost_usd,
            sum(intermittent_cost_usd) as intermittent_cost_usd
        from {{ 'classified_user_costs' if level.costs == 'users' else 'classified_costs' }}
        {%- if level.where %}
            where {{ level.where }}
        {%- endif %}
        group by {{ (['org_id'] + level.columns.values() | list + ['spend_date']) | join(', ') }}
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

),

-- each series' first day with spend: in the recomputed days, or in the rows already built when
-- it is older than those days
series_first_dates as (

    select
        series_level,
        series_id,
        org_id,
        project_id,
        model,
        api_key_id,
        user_id,
        min(spend_date) as series_first_date
    from series_costs
    where cost_usd <> 0
    group by series_level, series_id, org_id, project_id, model, api_key_id, user_id
    {%- if is_incremental() %}

    union all

    select distinct
        series_level,
        series_id,
        org_id,
        project_id,
        model,
        api_key_id,
        user_id,
        series_first_date
    from {{ this }}
    where not ({{ lookback_predicate('org_id', 'series_first_date', 'date', 'org_id', 'spend_date') }})
    {%- endif %}

),

series_bounds as (

    select
        series_first_dates.series_level,
        series_first_dates.series_id,
        series_first_dates.org_id,
        series_first_dates.project_id,
        series_first_dates.model,
        series_first_dates.api_key_id,
        series_first_dates.user_id,
        org_days.latest_date,
        min(series_first_dates.series_first_date) as series_first_date
    from series_first_dates
    inner join org_days
        on series_first_dates.org_id = org_days.org_id
    group by
        series_first_dates.series_level,
        series_first_dates.series_id,
        series_first_dates.org_id,
        series_first_dates.project_id,
        series_first_dates.model,
        series_first_dates.api_key_id,
        series_first_dates.user_id,
        org_days.latest_date

),

series_with_level_start as (

    select
        *,
        min(series_first_date) over (
            partition by org_id, series_level
        ) as level_first_date
    from series_bounds

),

day_offsets as (

    select offset_number
    from ({{ anomalies_integers(10000) }}) as integers

),

spine as (

    select
        series_with_level_start.*,
        {{ anomalies_add_days('series_with_level_start.series_first_date', 'day_offsets.offset_number') }}
            as spend_date
    from series_with_level_start
    inner join day_offsets
        on day_offsets.offset_number <= {{ dbt.datediff(
            'series_with_level_start.series_first_date', 'series_with_level_start.latest_date', 'day'
        ) }}

),

final as (

    select
        spine.series_level,
        spine.series_id,
        spine.org_id,
        spine.project_id,
        spine.model,
        spine.api_key_id,
        spine.user_id,
        spine.spend_date,
        {{ anomalies_day_number('spine.spend_date') }} as day_number,
        coalesce(series_costs.cost_usd, 0) as cost_usd,
        coalesce(series_costs.intermittent_cost_usd, 0) as intermittent_cost_usd,
        spine.series_first_date,
        spine.level_first_date,
        {% if partial_latest_day -%}
            spine.spend_date < spine.latest_date
        {%- else -%}
            true
        {%- endif %} as is_complete_day
    from spine
    left join series_costs
        on
            spine.series_id = series_costs.series_id
            and spine.spend_date = series_costs.spend_date
    where {{ lookback_predicate('spine.org_id', 'spine.spend_date', 'date', 'org_id', 'spend_date') }}

)

select * from final
