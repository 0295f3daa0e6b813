with

usage_facts as (
    select * from {{ ref('fct_openai_usage') }}
),

costs as (
    select * from {{ ref('int_openai_costs_selected') }}
),

from_usage as (
    select
        model,
        min(usage_date) as first_seen_date,
        max(usage_date) as last_seen_date,
        true as is_in_usage,
        false as is_in_costs,
        cast(null as {{ dbt.type_string() }}) as service_name
    from usage_facts
    where model is not null
    group by model
),

from_costs as (
    -- the column is `model` everywhere, as OpenAI names it, though it is a keyword
    select
        line_item_model as model,  -- noqa: RF04
        min(charge_date) as first_seen_date,
        max(charge_date) as last_seen_date,
        false as is_in_usage,
        true as is_in_costs,
        max(service_name) as service_name
    from costs
    where line_item_model is not null
    group by line_item_model
),

unioned as (
    select * from from_usage
    union all
    select * from from_costs
),

final as (
    select
        model,
        min(first_seen_date) as first_seen_date,
        max(last_seen_date) as last_seen_date,
        max(service_name) as service_name,
        (model like 'ft-%' or model like 'ft:%') as is_fine_tuned,
        max(case when is_in_usage then 1 else 0 end) = 1 as is_in_usage,
        max(case when is_in_costs then 1 else 0 end) = 1 as is_in_costs
    from unioned
    group by model
)

select * from final
