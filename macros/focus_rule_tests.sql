{#- Helpers of the FOCUS rule tests (tests/dbt/generic/focus_*.sql), where SQL differs by engine. -#}

{#- One row per member of the JSON object in `column` of `relation` (rows where it is not null):
    the document as text (`document`), its JSON type (`document_type`), and each member's key
    (`member_key`) and JSON type (`member_type`); types are lower case (object, array, string,
    number, boolean, null; DuckDB's own names are mapped). A document that is not an object gives
    one row with null key and type. -#}
{% macro focus_json_members(relation, column) -%}
    {{ return(adapter.dispatch('focus_json_members', 'openai_finops')(relation, column)) }}
{%- endmacro %}

{% macro default__focus_json_members(relation, column) -%}
    with documents as (
        select
            cast({{ column }} as {{ dbt.type_string() }}) as document,
            cast({{ column }} as jsonb) as parsed
        from {{ relation }}
        where {{ column }} is not null
    )

    select
        documents.document,
        jsonb_typeof(documents.parsed) as document_type,
        members.key as member_key,
        jsonb_typeof(members.value) as member_type
    from documents
    left join lateral jsonb_each(
        case when jsonb_typeof(documents.parsed) = 'object' then documents.parsed else cast('{}' as jsonb) end
    ) as members on true
{%- endmacro %}

{% macro duckdb__focus_json_members(relation, column) -%}
    with documents as (
        select
            cast({{ column }} as {{ dbt.type_string() }}) as document,
            cast({{ column }} as json) as parsed
        from {{ relation }}
        where {{ column }} is not null
    ),

    typed as (
        select
            document,
            case when json_type(parsed) = 'OBJECT' then parsed else cast('{}' as json) end as object_value,
            lower(json_type(parsed)) as document_type
        from documents
    )

    select
        typed.document,
        typed.document_type,
        members.key as member_key,
        case
            when members.type in ('VARCHAR') then 'string'
            when members.type in ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') then 'number'
            else lower(members.type)
        end as member_type
    from typed
    left join json_each(typed.object_value) as members on true
{%- endmacro %}
