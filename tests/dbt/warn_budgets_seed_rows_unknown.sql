{#- Warns (never fails) on a row of seeds/budgets.csv that names an organization, project or API
    key the warehouse has no data of, and names it in the log (`WARN budgets row budget_id=...`):
    a typo in an id, or a budget set up before its organization's first load. -#}
{{ config(severity='warn') }}
{{ seed_problems_test(budgets_seed_problems(), malformed=false, prefix='WARN') }}
