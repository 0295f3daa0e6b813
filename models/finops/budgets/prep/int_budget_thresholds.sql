{#-
    Alert thresholds of each budget: one row per budget and threshold, from the seed's
    `thresholds` column ("50;80;100", percent of the amount; empty means
    `var('budget_default_thresholds')`). Up to 10 thresholds per budget.
-#}

with

budgets as (

    select * from {{ ref('budgets') }}

),

positions as (

    select offset_number + 1 as threshold_position
    from ({{ anomalies_integers(10) }}) as integers

),

threshold_lists as (

    select
        budget_id,
        coalesce(
            nullif(trim(thresholds), ''),
            '{{ var("budget_default_thresholds", "50;80;100") }}'
        ) as threshold_list
    from budgets

),

split as (

    select
        threshold_lists.budget_id,
        positions.threshold_position,
        trim({{ budgets_split_part('threshold_lists.threshold_list', "';'", 'positions.threshold_position') }})
            as threshold_text
    from threshold_lists
    cross join positions

),

final as (

    select distinct
        budget_id,
        cast(threshold_text as decimal(9, 2)) as threshold_pct
    from split
    where threshold_text <> ''

)

select * from final
