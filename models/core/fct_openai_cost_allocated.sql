{#- Billed usage cost split to the users and API keys that caused it.

    For each Usage row of fct_openai_cost, the matching usage (same organization, UTC day, project,
    model, token type, batch flag and service tier; and the same API key when the cost row names
    one) is summed per (user, API key); each part gets the billed amount in proportion to its
    usage quantity. The split is exact: the amount is converted to integer units of 1e-18 dollars
    (the scale of the money type), each part gets floor(units x quantity / total), and the units
    left over (fewer than the number of parts) go one each to the parts with the largest
    remainders, ties broken by quantity, then user and key id. So the parts of a billed row sum to
    its BilledCost to the last digit, on every warehouse.

    Methods (x_AllocatedMethodId):
    - `usage-share`: split by share of the matching usage (one or more parts).
    - `direct`: the cost row already names the API key and that key's usage belongs to a single
      user, or the key has no matching usage (the whole amount stays on the key).
    - `unallocated`: what cannot be attributed to a user or key: no matching usage, matching usage
      of zero, usage reported without user and key (project-level endpoints), spend that no usage
      endpoint reports (fine-tuning training, evals), line items that did not parse. -#}

{#- Incremental by organization and day (macros/incremental_lookback.sql): a cost row is split by
    the usage of its own day, so a daily run re-reads the lookback window of both sides. -#}
{{
    config(
        materialized='incremental',
        unique_key=['"BillingAccountId"', '"x_ChargeDate"'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

with

int_cost_token_quantities as (
    select * from {{ ref('int_cost_token_quantities') }}
),

int_usage_token_quantities as (
    select * from {{ ref('int_usage_token_quantities') }}
),

billed_costs as (
    select * from int_cost_token_quantities
    where {{ lookback_predicate(
        'int_cost_token_quantities.org_id', 'int_cost_token_quantities.charge_date', 'date',
        '"BillingAccountId"', '"x_ChargeDate"',
    ) }}
),

usage_quantities as (
    select * from int_usage_token_quantities
    where {{ lookback_predicate(
        'int_usage_token_quantities.org_id', 'int_usage_token_quantities.usage_date', 'date',
        '"BillingAccountId"', '"x_ChargeDate"',
    ) }}
),

api_keys as (
    select * from {{ ref('dim_openai_api_keys') }}
),

users as (
    select * from {{ ref('dim_openai_users') }}
),

matched_usage as (
    select
        billed_costs.cost_row_id,
        usage_quantities.user_id,
        usage_quantities.api_key_id,
        max(usage_quantities.basis_column) as basis_column,
        sum(usage_quantities.usage_quantity) as basis_quantity
    from billed_costs
    inner join usage_quantities
        on {{ allocation_usage_match('billed_costs', 'usage_quantities') }}
    where billed_costs.is_usage_reported
    group by
        billed_costs.cost_row_id,
        usage_quantities.user_id,
        usage_quantities.api_key_id
),

usage_totals as (
    select
        cost_row_id,
        sum(basis_quantity) as total_quantity,
        max(basis_column) as basis_column,
        sum(case when basis_quantity > 0 then 1 else 0 end) as part_count
    from matched_usage
    group by cost_row_id
),

{# cost rows with positive matching usage: one part per (user, key) with usage -#}
usage_parts as (
    select
        billed_costs.cost_row_id,
        matched_usage.user_id,
        matched_usage.api_key_id,
        case
            when matched_usage.user_id is null and matched_usage.api_key_id is null then 'unallocated'
            when billed_costs.api_key_id is not null and usage_totals.part_count = 1 then 'direct'
            else 'usage-share'
        end as method_id,
        case
            when matched_usage.user_id is null and matched_usage.api_key_id is null
                then 'usage without user or API key'
        end as unallocated_reason,
        matched_usage.basis_column,
        matched_usage.basis_quantity,
        usage_totals.total_quantity
    from billed_costs
    inner join usage_totals
        on billed_costs.cost_row_id = usage_totals.cost_row_id
    inner join matched_usage
        on billed_costs.cost_row_id = matched_usage.cost_row_id
    where
        usage_totals.total_quantity > 0
        and matched_usage.basis_quantity > 0
),

{# cost rows without positive matching usage: one part with the whole amount -#}
whole_parts as (
    select
        billed_costs.cost_row_id,
        cast(null as {{ dbt.type_string() }}) as user_id,
        billed_costs.api_key_id,
        case when billed_costs.api_key_id is not null then 'direct' else 'unallocated' end as method_id,
        case
            when billed_costs.api_key_id is not null then null
            when not billed_costs.is_line_item_parsed then 'line item not parsed'
            when not billed_costs.is_usage_reported then 'no usage endpoint reports this line item'
            when usage_totals.cost_row_id is null then 'no matching usage'
            else 'matching usage is zero'
        end as unallocated_reason,
        usage_totals.basis_column,
        cast(0 as {{ dbt.type_bigint() }}) as basis_quantity,
        coalesce(usage_totals.total_quantity, 0) as total_quantity
    from billed_costs
    left join usage_totals
        on billed_costs.cost_row_id = usage_totals.cost_row_id
    where coalesce(usage_totals.total_quantity, 0) <= 0
),

parts as (
    select * from usage_parts
    union all
    select * from whole_parts
),

{# integer units: floor of the proportional share, and the remainder that ranks the leftovers -#}
floored as (
    select
        parts.*,
        billed_costs.org_id,
        billed_costs.organization_name,
        billed_costs.currency,
        billed_costs.tags,
        billed_costs.charge_date,
        billed_costs.charge_period_start_at,
        billed_costs.charge_period_end_at,
        billed_costs.service_name,
        billed_costs.project_id,
        billed_costs.project_name,
        billed_costs.line_item,
        billed_costs.line_item_model,
        billed_costs.line_item_token_type,
        billed_costs.api_key_id as billed_api_key_id,
        billed_costs.billed_cost_usd,
        case when billed_costs.billed_cost_usd < 0 then -1 else 1 end as cost_sign,
        {{ allocation_to_units('abs(billed_costs.billed_cost_usd)') }} as billed_units
    from parts
    inner join billed_costs
        on parts.cost_row_id = billed_costs.cost_row_id
),

shared as (
    select
        *,
        case
            when basis_quantity > 0 and total_quantity > 0
                then {{ allocation_integer_divide(
                    'billed_units * cast(basis_quantity as ' ~ allocation_integer_type() ~ ')',
                    'cast(total_quantity as ' ~ allocation_integer_type() ~ ')',
                ) }}
            else billed_units
        end as floor_units,
        case
            when basis_quantity > 0 and total_quantity > 0
                then {{ allocation_integer_modulo(
                    'billed_units * cast(basis_quantity as ' ~ allocation_integer_type() ~ ')',
                    'cast(total_quantity as ' ~ allocation_integer_type() ~ ')',
                ) }}
            else 0
        end as remainder_units
    from floored
),

ranked as (
    select
        *,
        billed_units - sum(floor_units) over (partition by cost_row_id) as leftover_units,
        row_number() over (
            partition by cost_row_id
            order by
                remainder_units desc,
                basis_quantity desc,
                coalesce(user_id, '') asc,
                coalesce(api_key_id, '') asc
        ) as remainder_rank
    from shared
),

allocated as (
    select
        *,
        floor_units + case when remainder_rank <= leftover_units then 1 else 0 end as allocated_units
    from ranked
),

named as (
    select
        allocated.*,
        api_keys.api_key_name,
        users.user_name,
        users.email as user_email,
        case
            when allocated.basis_column like '%tokens%' then 'Tokens'
            when allocated.basis_column = 'characters' then 'Characters'
            when allocated.basis_column = 'images' then 'Images'
            when allocated.basis_column = 'num_requests' then 'Requests'
            when allocated.basis_column = 'num_sessions' then 'Sessions'
            when allocated.basis_column = 'seconds' then 'Seconds'
            when allocated.basis_column = 'usage_bytes' then 'Bytes'
        end as usage_unit,
        case
            when allocated.total_quantity > 0 and allocated.billed_api_key_id is null
                then 'organization,day,project,model,token_type,batch,service_tier'
            when allocated.total_quantity > 0
                then 'organization,day,project,model,token_type,batch,service_tier,api_key'
        end as matched_on
    from allocated
    left join api_keys
        on
            allocated.org_id = api_keys.org_id
            and allocated.api_key_id = api_keys.api_key_id
    left join users
        on
            allocated.org_id = users.org_id
            and allocated.user_id = users.user_id
),

{#- Cast again: PostgreSQL drops a case expression's numeric scale; DuckDB keeps it. -#}
{%- set allocated_share -%}
    cast(
        case
            when basis_quantity > 0 and total_quantity > 0
                then {{ allocation_exact_divide('basis_quantity', 'total_quantity', 12) }}
            else 1
        end as decimal(38, 12)
    )
{%- endset %}

final as (
    select
        {{ generate_surrogate_key(['cost_row_id', 'user_id', 'api_key_id', 'method_id']) }} as "x_AllocationId",
        cost_row_id as "x_CostRowId",
        org_id as "BillingAccountId",
        organization_name as "BillingAccountName",
        currency as "BillingCurrency",
        charge_period_start_at as "ChargePeriodStart",
        charge_period_end_at as "ChargePeriodEnd",
        service_name as "ServiceName",
        project_id as "SubAccountId",
        project_name as "SubAccountName",
        cast(cost_sign * {{ allocation_from_units('allocated_units') }} as {{ type_money() }}) as "BilledCost",
        {#- FOCUS 1.3 split cost allocation: each row is a part of one origin charge (x_CostRowId). #}
        method_id as "AllocatedMethodId",
        {{ dbt.concat(["'{\"Elements\":['", json_flat_object([
            ['AllocatedRatio', allocated_share, 'number'],
            ['UsageUnit', 'usage_unit'],
            ['UsageQuantity', 'case when usage_unit is not null then basis_quantity end', 'number'],
            ['x_BasisColumn', 'basis_column'],
            ['x_TotalQuantity', 'total_quantity', 'number'],
            ['x_MatchedOn', 'matched_on'],
            ['x_UnallocatedReason', 'unallocated_reason'],
        ]), "']}'"]) }} as "AllocatedMethodDetails",
        coalesce(api_key_id, user_id) as "AllocatedResourceId",
        case
            when api_key_id is not null then coalesce(api_key_name, api_key_id)
            when user_id is not null then coalesce(user_name, user_email, user_id)
        end as "AllocatedResourceName",
        case
            when coalesce(api_key_id, user_id) is not null
                then {{ json_flat_object([
                    ['openai-finops/user_id', 'user_id'],
                    ['openai-finops/user_name', 'user_name'],
                    ['openai-finops/api_key_id', 'api_key_id'],
                    ['openai-finops/api_key_name', 'api_key_name'],
                ]) }}
        end as "AllocatedTags",
        tags as "Tags",
        charge_date as "x_ChargeDate",
        line_item as "x_LineItem",
        line_item_model as "x_Model",
        line_item_token_type as "x_TokenType",
        billed_api_key_id as "x_ApiKeyId",
        billed_cost_usd as "x_SourceBilledCost",
        method_id as "x_AllocatedMethodId",
        {{ json_flat_object([
            ['basis_column', 'basis_column'],
            ['basis_quantity', 'basis_quantity'],
            ['total_quantity', 'total_quantity'],
            ['matched_on', 'matched_on'],
            ['unallocated_reason', 'unallocated_reason'],
        ]) }} as "x_AllocatedMethodDetails",
        coalesce(api_key_id, user_id) as "x_AllocatedResourceId",
        case
            when api_key_id is not null then coalesce(api_key_name, api_key_id)
            when user_id is not null then coalesce(user_name, user_email, user_id)
        end as "x_AllocatedResourceName",
        case
            when api_key_id is not null then 'API key'
            when user_id is not null then 'User'
        end as "x_AllocatedResourceType",
        user_id as "x_AllocatedUserId",
        user_name as "x_AllocatedUserName",
        api_key_id as "x_AllocatedApiKeyId",
        api_key_name as "x_AllocatedApiKeyName",
        {{ allocated_share }} as "x_AllocatedShare",
        cast(basis_quantity as {{ dbt.type_bigint() }}) as "x_AllocationBasisQuantity",
        cast(total_quantity as {{ dbt.type_bigint() }}) as "x_AllocationTotalQuantity"
    from named
)

select * from final
