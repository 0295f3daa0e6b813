{#- The semantic layer's time spine: one row per UTC day, 2023-01-01 to 2030-12-31 (OpenAI's usage
    API starts in 2024; the range covers any history the loader can read and the budget periods
    ahead). -#}
with

days as (

    select {{ anomalies_add_days("cast('2023-01-01' as date)", 'offset_number') }} as date_day
    from ({{ anomalies_integers(2922) }}) as integers

)

select date_day from days
