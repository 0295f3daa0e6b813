{#- Does the bill match the usage? Billed cost (fct_openai_cost Usage rows) next to usage times
    list price (int_usage_token_quantities x the openai_prices seed) per organization, UTC day,
    project, billing surface, model, token type, batch flag and service tier.

    The two sides are aggregated to that grain apart and joined through a spine of the keys either
    side has, so a billed line without usage and usage without a bill both show. Status:
    - `no_usage`: billed, but no usage endpoint reports matching usage (cost-only spend such as
      fine-tuning training and evals, unparsed line items, or usage missing from the API);
    - `no_price`: usage without a list price valid that day in the seed;
    - `matched`: |billed - usage x price| within var('reconciliation_tolerance_usd') dollars or
      within var('reconciliation_tolerance_pct') percent of the billed amount;
    - `under` / `over`: billed below / above usage x price by more than the tolerance. Recent days
      are often `under`: OpenAI bills late-arriving usage for a few days (restatement).
    `api_key_costs_status` says whether the day's costs came grouped by API key, and if not why
    (allocation to keys then uses usage shares): `by_key`, `before_key_grouping` (OpenAI groups
    costs by key only from 2025-12-06 on), `refused` (the API answered the key-grouped request
    with HTTP 400; stg_openai__refused_requests), `not_loaded` (no key-level rows, no refusal). -#}

{%- set tolerance_usd = var('reconciliation_tolerance_usd', 0.01) -%}
{%- set tolerance_pct = var('reconciliation_tolerance_pct', 0.5) -%}
{#- OpenAI refuses costs grouped by api_key_id before this day (CONTRACT.md §7 #3; the loader's
    loader/endpoints.py COSTS_KEY_GROUPING_FROM). -#}
{%- set key_grouping_from = '2025-12-06' -%}
{%- set grain = [
    'org_id', 'charge_date', 'project_id', 'billing_surface', 'model', 'token_type', 'is_batch',
    'service_tier',
] -%}

{#- Incremental by organization and day (macros/incremental_lookback.sql): a daily run re-reads the
    lookback window of both sides, plus every day from the earliest one whose list price in the
    table no longer matches seeds/openai_prices.csv (a price added or corrected after the fact). -#}
{{
    config(
        materialized='incremental',
        unique_key=['org_id', 'charge_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{%- set prices_changed_since -%}
    select min(reconciled.charge_date) as changed_since
    from {{ this }} as reconciled
    left join {{ ref('openai_prices') }} as prices
        on
            reconciled.model = prices.model
            and reconciled.token_type = prices.token_type
            and reconciled.is_batch = prices.is_batch
            and reconciled.service_tier = prices.service_tier
            and reconciled.charge_date >= prices.valid_from
            and reconciled.charge_date < prices.valid_to
    where
        reconciled.list_price_usd is distinct from prices.price_usd
        or reconciled.list_price_per_quantity is distinct from prices.price_per_quantity
{%- endset %}

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
        'org_id', 'charge_date', [prices_changed_since],
    ) }}
),

usage_quantities as (
    select * from int_usage_token_quantities
    where {{ lookback_predicate(
        'int_usage_token_quantities.org_id', 'int_usage_token_quantities.usage_date', 'date',
        'org_id', 'charge_date', [prices_changed_since],
    ) }}
),

prices as (
    select * from {{ ref('openai_prices') }}
),

key_level_days as (
    select distinct
        org_id,
        charge_date
    from {{ ref('int_openai_costs_selected') }}
    where is_key_level
),

key_grouping_refusals as (
    select
        org_id,
        cast(request_start_at as date) as refused_from,
        cast(request_end_at as date) as refused_until,
        reason,
        refused_at
    from {{ ref('stg_openai__refused_requests') }}
    where
        raw_table = 'costs'
        and group_by = 'api_key_id,line_item,project_id'
        and http_status = 400
),

{# spend that no usage endpoint reports keeps its surface (`evals`), so it never lands on the
    same row as the usage of the same model -#}
billed_surfaced as (
    select
        *,
        case
            when not is_usage_reported then coalesce(billing_surface, 'no usage endpoint')
        end as reconciliation_surface
    from billed_costs
),

billed as (
    select
        org_id,
        charge_date,
        project_id,
        reconciliation_surface as billing_surface,
        model,
        token_type,
        is_batch,
        service_tier,
        cast(sum(billed_cost_usd) as {{ type_money() }}) as billed_cost_usd,
        cast(sum(billed_quantity) as {{ type_quantity() }}) as billed_quantity,
        max(billed_unit) as billed_unit,
        count(*) as billed_row_count
    from billed_surfaced
    group by
        org_id,
        charge_date,
        project_id,
        reconciliation_surface,
        model,
        token_type,
        is_batch,
        service_tier
),

used as (
    select
        org_id,
        usage_date as charge_date,
        project_id,
        cast(null as {{ dbt.type_string() }}) as billing_surface,
        model,
        token_type,
        is_batch,
        service_tier,
        cast(sum(billed_unit_quantity) as {{ type_quantity() }}) as usage_quantity,
        count(*) as usage_row_count
    from usage_quantities
    group by
        org_id,
        usage_date,
        project_id,
        model,
        token_type,
        is_batch,
        service_tier
),

billed_keyed as (
    select
        {{ generate_surrogate_key(grain) }} as reconciliation_id,
        *
    from billed
),

used_keyed as (
    select
        {{ generate_surrogate_key(grain) }} as reconciliation_id,
        *
    from used
),

spine as (
    select {{ grain | join(', ') }}, reconciliation_id from billed_keyed
    union
    select {{ grain | join(', ') }}, reconciliation_id from used_keyed
),

joined as (
    select
        spine.*,
        billed_keyed.billed_quantity,
        billed_keyed.billed_unit,
        used_keyed.usage_quantity,
        {#- Casts keep each column's declared type: PostgreSQL drops numeric precision and scale through
            coalesce, case and arithmetic on unconstrained values; DuckDB keeps them. #}
        cast(coalesce(billed_keyed.billed_cost_usd, 0) as {{ type_money() }}) as billed_cost_usd,
        coalesce(billed_keyed.billed_row_count, 0) as billed_row_count,
        coalesce(used_keyed.usage_row_count, 0) as usage_row_count
    from spine
    left join billed_keyed
        on spine.reconciliation_id = billed_keyed.reconciliation_id
    left join used_keyed
        on spine.reconciliation_id = used_keyed.reconciliation_id
),

priced as (
    select
        joined.*,
        prices.price_usd,
        prices.price_per_quantity,
        prices.consumed_unit as price_unit,
        {{ allocation_exact_divide('prices.price_usd', 'prices.price_per_quantity', 18) }} as unit_price_usd
    from joined
    left join prices
        on
            joined.model = prices.model
            and joined.token_type = prices.token_type
            and joined.is_batch = prices.is_batch
            and joined.service_tier = prices.service_tier
            and joined.charge_date >= prices.valid_from
            and joined.charge_date < prices.valid_to
),

compared as (
    select
        *,
        cast(usage_quantity * unit_price_usd as {{ type_money() }}) as usage_list_cost_usd
    from priced
),

gaps as (
    select
        *,
        cast(billed_cost_usd - usage_list_cost_usd as {{ type_money() }}) as gap_usd,
        cast(billed_quantity - usage_quantity as {{ type_quantity() }}) as quantity_gap,
        coalesce(billed_unit, price_unit) as quantity_unit
    from compared
),

statused as (
    select
        *,
        cast(
            case
                when billed_cost_usd != 0
                    then gap_usd * 100 / billed_cost_usd
            end as decimal(38, 6)
        ) as gap_pct,
        case
            when usage_row_count = 0 then 'no_usage'
            when unit_price_usd is null then 'no_price'
            when
                abs(gap_usd) <= {{ tolerance_usd }}
                or abs(gap_usd) * 100 <= {{ tolerance_pct }} * abs(billed_cost_usd)
                then 'matched'
            when gap_usd < 0 then 'under'
            else 'over'
        end as reconciliation_status
    from gaps
),

{# the days each organization has usage loaded for: costs can reach further back than usage (a
    yearly budget's costs are loaded from the year's start) -#}
usage_days as (
    select distinct
        org_id,
        charge_date
    from used
),

{# what the line says about the bill: reconcilable (usage and a list price to compare with),
    explained (no usage by nature: a parsed line item that no usage endpoint reports, such as
    fine-tuning training, storage or evals), usage_not_loaded (no usage of the organization was
    loaded that day, so there is nothing to compare with) or unexplained (usage missing where an
    endpoint reports it, an unparsed line item, usage without a list price) -#}
classified as (
    select
        statused.*,
        case
            when statused.reconciliation_status in ('matched', 'under', 'over') then 'reconcilable'
            when
                statused.reconciliation_status = 'no_usage'
                and statused.billing_surface is not null
                and statused.token_type is not null
                then 'explained'
            when usage_days.org_id is null then 'usage_not_loaded'
            else 'unexplained'
        end as reconciliation_class
    from statused
    left join usage_days
        on
            statused.org_id = usage_days.org_id
            and statused.charge_date = usage_days.charge_date
),

day_refusals as (
    select
        statused_days.org_id,
        statused_days.charge_date,
        max(key_grouping_refusals.reason) as refusal_reason,
        max(key_grouping_refusals.refused_at) as refused_at
    from (
        select distinct
            org_id,
            charge_date
        from statused
    ) as statused_days
    inner join key_grouping_refusals
        on
            statused_days.org_id = key_grouping_refusals.org_id
            and statused_days.charge_date >= key_grouping_refusals.refused_from
            and statused_days.charge_date < key_grouping_refusals.refused_until
    group by
        statused_days.org_id,
        statused_days.charge_date
),

keyed_status as (
    select
        classified.*,
        case
            when key_level_days.org_id is not null then 'by_key'
            when classified.charge_date < date '{{ key_grouping_from }}'
                then 'before_key_grouping'
            when day_refusals.org_id is not null then 'refused'
            else 'not_loaded'
        end as api_key_costs_status,
        case
            when key_level_days.org_id is not null then null
            when classified.charge_date < date '{{ key_grouping_from }}'
                then
                    'OpenAI groups costs by API key only from {{ key_grouping_from }} on; '
                    || 'allocation to keys uses usage shares'
            when day_refusals.org_id is not null then day_refusals.refusal_reason
            else
                'no costs grouped by API key were loaded for this day; '
                || 'allocation to keys uses usage shares'
        end as api_key_costs_reason
    from classified
    left join key_level_days
        on
            classified.org_id = key_level_days.org_id
            and classified.charge_date = key_level_days.charge_date
    left join day_refusals
        on
            classified.org_id = day_refusals.org_id
            and classified.charge_date = day_refusals.charge_date
),

final as (
    select
        reconciliation_id,
        org_id,
        charge_date,
        project_id,
        billing_surface,
        model,
        token_type,
        is_batch,
        service_tier,
        billed_cost_usd,
        usage_list_cost_usd,
        gap_usd,
        gap_pct,
        reconciliation_status,
        reconciliation_class,
        billed_quantity,
        usage_quantity,
        quantity_gap,
        quantity_unit,
        price_usd as list_price_usd,
        price_per_quantity as list_price_per_quantity,
        unit_price_usd as list_unit_price_usd,
        billed_row_count,
        usage_row_count,
        api_key_costs_status,
        api_key_costs_reason
    from keyed_status
)

select * from final
