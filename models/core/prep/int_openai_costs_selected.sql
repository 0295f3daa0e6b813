{#- One row per organization, UTC day, project, line item and API key (null when the day has
    only project-level rows), with the line item parsed.

    The loader reads costs twice: grouped by `line_item,project_id` (every day) and by
    `api_key_id,line_item,project_id` (days from 2025-12-06 on). Both cover the same spend, so per
    organization and day the key-level rows are used when the day has any, else the project-level
    rows; other group-by sets are ignored so nothing is counted twice. Rows that share the grain
    (undocumented extra splits, CONTRACT.md §7 #5) are summed. -#}

{#- A table: fct_openai_cost and three dimensions read it. Incremental by organization and day
    (macros/incremental_lookback.sql): a daily run re-reads the lookback window only. -#}
{{
    config(
        materialized='incremental',
        unique_key=['org_id', 'charge_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{%- set project_level = 'line_item,project_id' -%}
{%- set key_level = 'api_key_id,line_item,project_id' -%}

with

costs as (
    select * from {{ ref('stg_openai__costs') }}
),

daily as (
    select
        org_id,
        cast(bucket_start_at as date) as charge_date,
        bucket_start_at,
        bucket_end_at,
        project_id,
        case when group_by = '{{ key_level }}' then api_key_id end as api_key_id,
        line_item,
        organization_name,
        project_name,
        amount_value,
        upper(amount_currency) as currency,
        quantity,
        quantity_unit,
        group_by = '{{ key_level }}' as is_key_level
    from costs
    where
        group_by in ('{{ project_level }}', '{{ key_level }}')
        and {{ lookback_predicate('org_id', 'bucket_start_at', 'timestamp', 'org_id', 'charge_date') }}
),

days_with_key_rows as (
    select distinct
        org_id,
        charge_date
    from daily
    where is_key_level
),

selected as (
    select daily.*
    from daily
    left join days_with_key_rows
        on
            daily.org_id = days_with_key_rows.org_id
            and daily.charge_date = days_with_key_rows.charge_date
    where daily.is_key_level = (days_with_key_rows.org_id is not null)
),

aggregated as (
    select
        org_id,
        charge_date,
        project_id,
        line_item,
        api_key_id,
        is_key_level,
        min(bucket_start_at) as charge_period_start_at,
        max(bucket_end_at) as charge_period_end_at,
        max(organization_name) as organization_name,
        max(project_name) as project_name,
        max(currency) as currency,
        count(distinct currency) as currency_count,
        cast(sum(amount_value) as {{ type_money() }}) as amount_value,
        cast(sum(quantity) as {{ type_quantity() }}) as quantity,
        max(quantity_unit) as quantity_unit,
        count(distinct quantity_unit) as quantity_unit_count,
        count(*) as raw_row_count
    from selected
    group by
        org_id,
        charge_date,
        project_id,
        line_item,
        api_key_id,
        is_key_level
),

{# Line-item parsing in steps (macros/parse_line_item.sql); each step reads the previous one. Each
    distinct line item is parsed once (a few hundred texts, however many rows bill them). -#}
line_items as (
    select distinct line_item
    from aggregated
),

normalized as (
    select
        line_item,
        {{ line_item_normalized('line_item') }} as line_item_normalized
    from line_items
),

split as (
    select
        *,
        {{ line_item_body('line_item_normalized') }} as line_item_body,
        {{ line_item_surface('line_item_normalized') }} as line_item_surface,
        {{ line_item_tool('line_item_normalized') }} as line_item_tool,
        {{ line_item_service_tier('line_item_normalized') }} as line_item_service_tier,
        {{ line_item_is_batch('line_item_normalized') }} as line_item_is_batch
    from normalized
),

headed as (
    select
        *,
        {{ line_item_head('line_item_body') }} as line_item_head,
        {{ line_item_direction('line_item_body') }} as line_item_direction
    from split
),

typed as (
    select
        *,
        {{ line_item_modality('line_item_head') }} as line_item_modality,
        {{ line_item_image_size('line_item_direction') }} as line_item_image_size
    from headed
),

parsed as (
    select
        *,
        {{ line_item_model('line_item_head', 'line_item_modality') }} as line_item_model,
        {{ line_item_token_type('line_item_direction', 'line_item_image_size') }} as line_item_token_type
    from typed
),

final as (
    select
        aggregated.org_id,
        aggregated.charge_date,
        aggregated.charge_period_start_at,
        aggregated.charge_period_end_at,
        aggregated.project_id,
        aggregated.api_key_id,
        aggregated.line_item,
        aggregated.is_key_level,
        aggregated.organization_name,
        aggregated.project_name,
        aggregated.currency,
        aggregated.currency_count,
        aggregated.amount_value,
        aggregated.quantity,
        aggregated.quantity_unit,
        aggregated.quantity_unit_count,
        aggregated.raw_row_count,
        parsed.line_item_model,
        parsed.line_item_token_type,
        parsed.line_item_modality,
        parsed.line_item_image_size,
        parsed.line_item_surface,
        parsed.line_item_tool,
        parsed.line_item_service_tier,
        parsed.line_item_is_batch,
        {{ line_item_service_name(
            'parsed.line_item_model', 'parsed.line_item_token_type', 'parsed.line_item_modality',
            'parsed.line_item_surface', 'parsed.line_item_tool',
        ) }} as service_name,
        {{ line_item_is_parsed(
            'parsed.line_item_model', 'parsed.line_item_token_type', 'parsed.line_item_tool',
            'parsed.line_item_direction',
        ) }} as is_line_item_parsed
    -- two equalities (not `or ... is null`) so that every engine joins by hash
    from aggregated
    inner join parsed
        on
            coalesce(aggregated.line_item, '') = coalesce(parsed.line_item, '')
            and (aggregated.line_item is null) = (parsed.line_item is null)
)

select * from final
