{#- Fails dbt build on a malformed row of seeds/billing_adjustments.csv and names it in the log:
    an unknown kind, a credit or refund that is not negative, an empty date, or two rows with the
    same organization, day, project and description (they would collide in fct_openai_cost). A row
    for an organization with no loaded costs is a warning: warn_billing_adjustments_unknown_org. -#}
{{ config(severity='error') }}
{{ seed_problems_test(billing_adjustments_seed_problems(), malformed=true, prefix='FAIL') }}
