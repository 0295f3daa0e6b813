{#- Billed usage charges keyed like usage: one row per Usage row of fct_openai_cost (organization,
    UTC day, project, line item and API key where known), with the model, token type, batch flag
    and service tier its line item bills, in the vocabulary of int_usage_token_quantities and of
    the price seed.

    - Token line items: `token_type` is the modality (audio, image; text is left out) and the token
      type of the line item (`audio cached input`); batch and tier come from the line item, a line
      item that names no tier being the default tier.
    - Tool line items have no model: the tool stands in for it (`file search`, `web search`,
      `code interpreter`, `vector storage`) with the unit it is billed in as token type (`calls`,
      `sessions`, `storage`). `assistants api | file search storage` is vector storage, not calls.
    - `is_usage_reported` is false for spend no usage endpoint reports (fine-tuning training, line
      items billed through another surface such as `evals | <model>, input`): those are never
      matched to usage, so they are neither split to users by another product's usage nor
      reconciled against it. -#}
-- `model` is the column name of fct_openai_usage, fct_openai_cost (x_Model) and the price seed.
-- noqa: disable=references.keywords

with

costs as (
    select * from {{ ref('fct_openai_cost') }}
),

usage_charges as (
    select
        "x_CostRowId" as cost_row_id,
        "BillingAccountId" as org_id,
        "BillingAccountName" as organization_name,
        "x_ChargeDate" as charge_date,
        "ChargePeriodStart" as charge_period_start_at,
        "ChargePeriodEnd" as charge_period_end_at,
        "SubAccountId" as project_id,
        "SubAccountName" as project_name,
        "ServiceName" as service_name,
        "BillingCurrency" as currency,
        "Tags" as tags,
        "x_ApiKeyId" as api_key_id,
        "x_LineItem" as line_item,
        "x_Model" as line_item_model,
        "x_TokenType" as line_item_token_type,
        "x_Modality" as line_item_modality,
        "x_IsBatch" as line_item_is_batch,
        "x_ServiceTier" as line_item_service_tier,
        "x_IsLineItemParsed" as is_line_item_parsed,
        "BilledCost" as billed_cost_usd,
        "ConsumedQuantity" as billed_quantity,
        "ConsumedUnit" as billed_unit,
        lower(trim("x_LineItem")) as line_item_lower
    from costs
    where "ChargeCategory" = 'Usage'
),

{# tools are recognised here from the line item text, not from the fact's parsed columns, so that
    storage and calls of file search stay apart whatever the parser's naming -#}
classified as (
    select
        *,
        case
            when line_item_model is not null then null
            when line_item_lower like '%file search storage%' or line_item_lower like '%vector stor%'
                then 'vector storage'
            when line_item_lower like '%file search%' then 'file search'
            when line_item_lower like '%web search%' then 'web search'
            when line_item_lower like '%code interpreter%' then 'code interpreter'
        end as tool,
        case
            when line_item_model is not null and position('|' in line_item_lower) > 0
                then trim({{ dbt.split_part('line_item_lower', "'|'", 1) }})
        end as surface,
        case when line_item_modality in ('audio', 'image') then line_item_modality end as billed_modality,
        {#- the words after the comma: the image size of image line items (`dall-e-3, 1024x1024`) -#}
        trim({{ dbt.split_part('line_item_lower', "','", 2) }}) as line_item_variant
    from usage_charges
),

keyed as (
    select
        *,
        coalesce(line_item_model, tool) as model,
        case
            when line_item_model is not null and line_item_token_type = 'image' and line_item_modality is null
                then line_item_variant
            when line_item_model is not null
                then trim({{ dbt.concat([
                    "coalesce(billed_modality, '')", "' '", "coalesce(line_item_token_type, '')"
                ]) }})
            when tool = 'vector storage' then 'storage'
            when tool = 'code interpreter' then 'sessions'
            when tool in ('file search', 'web search') then 'calls'
        end as token_type
    from classified
),

final as (
    select
        cost_row_id,
        org_id,
        organization_name,
        charge_date,
        charge_period_start_at,
        charge_period_end_at,
        project_id,
        project_name,
        api_key_id,
        service_name,
        line_item,
        surface as billing_surface,
        line_item_model,
        line_item_token_type,
        model,
        billed_cost_usd,
        currency,
        tags,
        billed_quantity,
        billed_unit,
        nullif(token_type, '') as token_type,
        coalesce(line_item_is_batch, false) as is_batch,
        coalesce(line_item_service_tier, 'default') as service_tier,
        coalesce(
            model is not null
            and nullif(token_type, '') is not null
            and token_type != 'training'
            and surface is null,
            false
        ) as is_usage_reported,
        coalesce(is_line_item_parsed, false) as is_line_item_parsed
    from keyed
)

select * from final
