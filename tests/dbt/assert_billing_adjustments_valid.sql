{#- Fails dbt build on any bad row of seeds/billing_adjustments.csv and names it in the log:
    an unknown kind, a credit or refund that is not negative, or two rows with the same
    organization, day, project and description (they would collide in fct_openai_cost). -#}
{{ config(severity='error') }}

{%- set problems_sql -%}
with

billing_adjustments as (
    select * from {{ ref('billing_adjustments') }}
),

numbered as (
    select
        *,
        count(*) over (
            partition by org_id, adjustment_date, project_id, description
        ) as duplicate_count
    from billing_adjustments
),

problems as (
    select
        {{ dbt.concat([
            "'billing_adjustments row (org_id='", "coalesce(org_id, '')",
            "', adjustment_date='", "coalesce(cast(adjustment_date as " ~ dbt.type_string() ~ "), '')",
            "', project_id='", "coalesce(project_id, '')",
            "', description='", "coalesce(description, '')",
            "', amount_usd='", "coalesce(cast(amount_usd as " ~ dbt.type_string() ~ "), '')",
            "', kind='", "coalesce(kind, '')", "'): '",
            "case"
            ~ " when coalesce(kind, '') not in ('credit', 'refund', 'adjustment')"
            ~ " then 'kind must be credit, refund or adjustment'"
            ~ " when kind in ('credit', 'refund') and not amount_usd < 0"
            ~ " then 'a credit or refund must be negative'"
            ~ " else 'duplicate of another row (org_id, adjustment_date, project_id, description)' end",
        ]) }} as problem
    from numbered
    where
        coalesce(kind, '') not in ('credit', 'refund', 'adjustment')
        or (kind in ('credit', 'refund') and not amount_usd < 0)
        or duplicate_count > 1
)

select * from problems
{%- endset -%}

{%- if execute -%}
    {%- for row in run_query(problems_sql) -%}
        {{ log('FAIL ' ~ row[0], info=true) }}
    {%- endfor -%}
{%- endif %}

{{ problems_sql }}
