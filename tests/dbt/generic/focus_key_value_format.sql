{#- FOCUS KeyValueFormat (Tags, SkuPriceDetails, AllocatedTags): a non-null value is a serialized
    JSON object whose values are scalars (string, number, boolean or null), never an object or an
    array. With `key_prefix`, every key that is not in `focus_keys` (the keys FOCUS defines for
    the column) must start with it: SkuPriceDetails' custom properties start with `x_`. Returns
    one row per offending document or member. -#}
{% test focus_key_value_format(model, column_name, key_prefix=none, focus_keys=[]) %}
    with members as (
        {{ openai_finops.focus_json_members(model, adapter.quote(column_name) if not column_name.startswith('"') else column_name) }}
    )

    select
        document,
        member_key,
        case
            when document_type != 'object' then 'not a JSON object'
            when member_type in ('object', 'array') then 'value is not a scalar'
            else 'key does not start with {{ key_prefix }}'
        end as problem
    from members
    where
        document_type != 'object'
        or member_type in ('object', 'array')
        {%- if key_prefix is not none %}
        or (
            member_key is not null
            and substr(member_key, 1, {{ key_prefix | length }}) != '{{ key_prefix }}'
            {%- if focus_keys | length > 0 %}
            and member_key not in ('{{ focus_keys | join("', '") }}')
            {%- endif %}
        )
        {%- endif %}
{% endtest %}
