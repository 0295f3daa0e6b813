{#- One row per organization, UTC day, project, line item and API key (null when the day has
    only project-level rows), with the line item parsed.

    The loader reads costs twice: grouped by `line_item,project_id` (every day) and by
    `api_key_id,line_item,project_id` (days from 2025-12-06 on). Both cover the same spend, so per
    organization and day the key-level rows are used when the day has any, else the project-level
    rows; other group-by sets are ignored so nothing is counted twice. Rows that share the grain
    (undocumented extra splits, CONTRACT.md §7 #5) are summed. -#}

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
    where group_by in ('{{ project_level }}', '{{ key_level }}')
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

{# Line-item parsing in steps (macros/parse_line_item.sql); each step reads the previous one. -#}
normalized as (
    select
        *,
        {{ line_item_normalized('line_item') }} as line_item_normalized
    from aggregated
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
        org_id,
        charge_date,
        charge_period_start_at,
        charge_period_end_at,
        project_id,
        api_key_id,
        line_item,
        is_key_level,
        organization_name,
        project_name,
        currency,
        currency_count,
        amount_value,
        quantity,
        quantity_unit,
        quantity_unit_count,
        raw_row_count,
        line_item_model,
        line_item_token_type,
        line_item_modality,
        line_item_image_size,
        line_item_surface,
        line_item_tool,
        line_item_service_tier,
        line_item_is_batch,
        {{ line_item_service_name(
            'line_item_model', 'line_item_token_type', 'line_item_modality', 'line_item_surface', 'line_item_tool',
        ) }} as service_name,
        {{ line_item_is_parsed('line_item_model', 'line_item_token_type', 'line_item_tool', 'line_item_direction') }}
            as is_line_item_parsed
    from parsed
)

select * from final
