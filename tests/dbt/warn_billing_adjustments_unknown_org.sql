{#- Warns (never fails) on a row of seeds/billing_adjustments.csv for an organization with no loaded
    costs, and names it in the log: its credit would count in a bill the warehouse does not hold. -#}
{{ config(severity='warn') }}
{{ seed_problems_test(billing_adjustments_seed_problems(), malformed=false, prefix='WARN') }}
