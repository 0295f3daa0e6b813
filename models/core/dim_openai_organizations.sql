-- One row per organization with billed cost: its name as OpenAI's costs carry it (FOCUS
-- BillingAccountName) and the days its bill covers.
with costs as (

    select * from {{ ref('fct_openai_cost') }}

)

select
    "BillingAccountId" as org_id,
    max("BillingAccountName") as org_name,
    min("x_ChargeDate") as first_charge_date,
    max("x_ChargeDate") as last_charge_date
from costs
group by "BillingAccountId"
