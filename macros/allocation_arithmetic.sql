{#- Exact arithmetic for cost allocation and reconciliation.

    Money is decimal(38, 18) (`type_money()`). Splitting an amount by usage shares needs a
    division, and DuckDB divides decimals in double precision, so the split is done in integer
    "units" of 1e-18 dollars instead: amount -> units, floor(units x part / total) per part, the
    units left over handed out by largest remainder, units -> amount. Every step is exact, so the
    parts sum to the amount to the last digit. The integer type and the integer division differ
    per warehouse: those macros are dispatched (`default__` is PostgreSQL-compatible numeric). -#}

{#- Decimal places of the allocation units: the scale of type_money(), so no digit is lost. -#}
{% macro allocation_scale() -%}
    18
{%- endmacro %}

{#- 10^allocation_scale() as an integer literal, and its inverse as an exact decimal literal. -#}
{% macro allocation_unit_factor() -%}
    1{{ '0' * (openai_finops.allocation_scale() | int) }}
{%- endmacro %}

{% macro allocation_unit_size() -%}
    cast(0.{{ '0' * ((openai_finops.allocation_scale() | int) - 1) }}1 as {{ openai_finops.type_money() }})
{%- endmacro %}

{#- An integer type wide enough for units x usage quantity (up to ~1e37). -#}
{% macro allocation_integer_type() -%}
    {{ return(adapter.dispatch('allocation_integer_type', 'openai_finops')()) }}
{%- endmacro %}

{#- PostgreSQL (tested) and Snowflake take numeric(38, 0), div() and mod(). Untested here: BigQuery
    would override the type with bignumeric (numeric has 29 integer digits) and keep div()/mod(). -#}
{% macro default__allocation_integer_type() -%}
    numeric(38, 0)
{%- endmacro %}

{% macro duckdb__allocation_integer_type() -%}
    hugeint
{%- endmacro %}

{#- Integer division truncated toward zero, and its remainder, of two integer expressions. -#}
{% macro allocation_integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('allocation_integer_divide', 'openai_finops')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__allocation_integer_divide(numerator, denominator) -%}
    div({{ numerator }}, {{ denominator }})
{%- endmacro %}

{% macro duckdb__allocation_integer_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{% macro allocation_integer_modulo(numerator, denominator) -%}
    {{ return(adapter.dispatch('allocation_integer_modulo', 'openai_finops')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__allocation_integer_modulo(numerator, denominator) -%}
    mod({{ numerator }}, {{ denominator }})
{%- endmacro %}

{% macro duckdb__allocation_integer_modulo(numerator, denominator) -%}
    (({{ numerator }}) % ({{ denominator }}))
{%- endmacro %}

{#- A money amount (decimal(38, 18)) as a whole number of units of 1e-18 dollars. -#}
{% macro allocation_to_units(amount) -%}
    {{ return(adapter.dispatch('allocation_to_units', 'openai_finops')(amount)) }}
{%- endmacro %}

{% macro default__allocation_to_units(amount) -%}
    cast(({{ amount }}) * {{ openai_finops.allocation_unit_factor() }} as {{ openai_finops.allocation_integer_type() }})
{%- endmacro %}

{#- DuckDB keeps decimal products within 38 digits, so amount x 1e18 would overflow above $100:
    the whole dollars and the fraction are converted apart. -#}
{% macro duckdb__allocation_to_units(amount) -%}
    (
        cast(trunc({{ amount }}) as hugeint) * cast({{ openai_finops.allocation_unit_factor() }} as hugeint)
        + cast((({{ amount }}) - trunc({{ amount }})) * {{ openai_finops.allocation_unit_factor() }} as hugeint)
    )
{%- endmacro %}

{#- Units back to money, exactly (a product, never a division). -#}
{% macro allocation_from_units(units) -%}
    cast(
        cast({{ units }} as decimal(38, 0)) * {{ openai_finops.allocation_unit_size() }}
        as {{ openai_finops.type_money() }}
    )
{%- endmacro %}

{#- numerator / denominator, truncated toward zero to `scale` decimal places (0 to 18), computed in
    integers so that it is exact wherever the quotient has at most `scale` decimals (a price per 1M
    tokens as a price per token, a usage share for display). The numerator must fit type_money(),
    the denominator must be a whole number. Null when the denominator is 0 or null. -#}
{% macro allocation_exact_divide(numerator, denominator, scale=18) -%}
    {%- set digits = scale | int -%}
    {%- set full = openai_finops.allocation_scale() | int -%}
    {%- if digits < 0 or digits > full -%}
        {{ exceptions.raise_compiler_error("allocation_exact_divide: `scale` must be between 0 and " ~ full ~ ", got " ~ scale) }}
    {%- endif -%}
    {%- set numerator_units = openai_finops.allocation_to_units('cast(' ~ numerator ~ ' as ' ~ openai_finops.type_money() ~ ')') -%}
    {%- set divisor -%}
        cast({{ denominator }} as {{ openai_finops.allocation_integer_type() }}) * 1{{ '0' * (full - digits) }}
    {%- endset -%}
    case
        when ({{ denominator }}) != 0 then
            cast(
                cast({{ openai_finops.allocation_integer_divide(numerator_units, divisor) }} as decimal(38, 0))
                * cast({{ '1' if digits == 0 else '0.' ~ ('0' * (digits - 1)) ~ '1' }} as decimal(38, {{ digits }}))
                as decimal(38, {{ digits }})
            )
    end
{%- endmacro %}

{#- Null-safe equality for join keys that may be null on both sides (a cost or usage row without a
    project). -#}
{% macro allocation_null_safe_equals(left, right) -%}
    ({{ left }} = {{ right }} or ({{ left }} is null and {{ right }} is null))
{%- endmacro %}

{#- The join of a cost row to the usage rows it is split by: same organization, day, project (null
    with null), model, token type, batch flag and service tier, and the cost row's key when it has
    one. On PostgreSQL the same condition is one equality of a composite key: the planner
    multiplies the selectivities of seven equalities over a CTE without statistics into an
    estimate of one row, then nests a scan of every cost row inside a loop over the matches
    (quadratic in the organizations: 14 minutes for 12 simulated organizations of 90 days,
    against seconds). Rows whose model, token type, batch flag or tier is null match nothing, as
    with the equalities. -#}
{% macro allocation_usage_match(cost, usage) -%}
    {{ return(adapter.dispatch('allocation_usage_match', 'openai_finops')(cost, usage)) }}
{%- endmacro %}

{% macro default__allocation_usage_match(cost, usage) -%}
    {{ cost }}.org_id = {{ usage }}.org_id
    and {{ cost }}.charge_date = {{ usage }}.usage_date
    and {{ openai_finops.allocation_null_safe_equals(cost ~ '.project_id', usage ~ '.project_id') }}
    and {{ cost }}.model = {{ usage }}.model
    and {{ cost }}.token_type = {{ usage }}.token_type
    and {{ cost }}.is_batch = {{ usage }}.is_batch
    and {{ cost }}.service_tier = {{ usage }}.service_tier
    and ({{ cost }}.api_key_id is null or {{ cost }}.api_key_id = {{ usage }}.api_key_id)
{%- endmacro %}

{% macro postgres__allocation_usage_match(cost, usage) -%}
    {%- set keys = [] -%}
    {%- for relation, day in ((cost, 'charge_date'), (usage, 'usage_date')) -%}
        {%- set fields = [relation ~ '.org_id', 'cast(' ~ relation ~ '.' ~ day ~ ' as text)'] -%}
        {%- do fields.append('coalesce(' ~ relation ~ '.project_id, chr(30))') -%}
        {%- for column in ('model', 'token_type', 'cast(is_batch as text)', 'service_tier') -%}
            {%- set qualified = column.replace('is_batch', relation ~ '.is_batch') if 'cast' in column
                else relation ~ '.' ~ column -%}
            {%- do fields.append('coalesce(' ~ qualified ~ ', chr(29))') -%}
        {%- endfor -%}
        {%- do keys.append('concat_ws(chr(31), ' ~ fields | join(', ') ~ ')') -%}
    {%- endfor -%}
    {{ keys[0] }} = {{ keys[1] }}
    {%- for column in ('model', 'token_type', 'is_batch', 'service_tier') %}
    and {{ cost }}.{{ column }} is not null
    {%- endfor %}
    and ({{ cost }}.api_key_id is null or {{ cost }}.api_key_id = {{ usage }}.api_key_id)
{%- endmacro %}
