{#- Fails dbt build on a malformed row of seeds/budgets.csv and names it in the log (`FAIL budgets
    row budget_id=...: ...`): an amount that is not positive, an unknown period, a currency other
    than the bill's, or thresholds that are not `;`-separated positive numbers. A row naming an
    organization, project or key not loaded is a warning: warn_budgets_seed_rows_unknown. -#}
{{ config(severity='error') }}
{{ seed_problems_test(budgets_seed_problems(), malformed=true, prefix='FAIL') }}
