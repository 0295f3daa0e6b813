{#- FOCUS: ListCost = ListUnitPrice x PricingQuantity and ContractedCost = ContractedUnitPrice x
    PricingQuantity (no Correction rows here), within the rounding of the unit price: the price
    is cost / quantity rounded to 18 decimals (computed in double precision on DuckDB), so the
    product may differ from the exact cost by at most a millionth of a cent. The validator does
    not check this. Returns the rows that differ. -#}

with

focus as (
    select * from {{ ref('fct_openai_cost') }}
),

final as (
    select
        "x_CostRowId",
        "ListCost",
        "ListUnitPrice",
        "ContractedUnitPrice",
        "PricingQuantity"
    from focus
    where
        "ListUnitPrice" is not null
        and (
            abs(
                cast("ListUnitPrice" as double precision) * cast("PricingQuantity" as double precision)
                - cast("ListCost" as double precision)
            ) > 0.00000001
            or abs(
                cast("ContractedUnitPrice" as double precision) * cast("PricingQuantity" as double precision)
                - cast("ContractedCost" as double precision)
            ) > 0.00000001
        )
)

select * from final
