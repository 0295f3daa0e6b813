{#- FOCUS 1.3: `cost_column` (ListCost, ContractedCost) equals `unit_price_column` x PricingQuantity
    wherever both factors are not null, on every row (1.3 dropped 1.2's exception for Correction
    rows). Returns the rows that differ by more than the tolerance.

    The tolerance, 1e-12 x |cost| + 1e-12 USD, covers the rounding of fct_openai_cost, never a
    real difference: the unit price is cost / quantity rounded to 18 decimals, which DuckDB
    computes in double precision (relative error about 1e-16), and the product is compared in
    double precision on both engines (decimal(38, 18) x decimal(38, 18) overflows DuckDB's 38
    digits). The largest gap on the demo is 1.4e-14 USD on a 700 USD row; a cost off by a
    millionth of a cent (1e-8 USD) still fails. An exact comparison would need a unit price that
    divides every cost exactly, which a decimal cannot promise. -#}
{% test focus_cost_is_unit_price_times_quantity(model, cost_column, unit_price_column, quantity_column='PricingQuantity') %}
    {%- set cost = adapter.quote(cost_column) -%}
    {%- set price = adapter.quote(unit_price_column) -%}
    {%- set quantity = adapter.quote(quantity_column) -%}
    {%- set float = 'double precision' %}
    select
        {{ cost }} as cost,
        {{ price }} as unit_price,
        {{ quantity }} as quantity
    from {{ model }}
    where
        {{ price }} is not null
        and {{ quantity }} is not null
        and (
            {{ cost }} is null
            or abs(
                cast({{ price }} as {{ float }}) * cast({{ quantity }} as {{ float }})
                - cast({{ cost }} as {{ float }})
            ) > 0.000000000001 * abs(cast({{ cost }} as {{ float }})) + 0.000000000001
        )
{% endtest %}
