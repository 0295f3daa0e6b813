-- The bill against usage x list price per organization, UTC day, reconciliation class and status.
select
    org_id,
    charge_date,
    reconciliation_class,
    reconciliation_status,
    count(*) as reconciliation_rows,
    sum(billed_cost_usd) as billed_cost_usd,
    sum(usage_list_cost_usd) as usage_list_cost_usd,
    sum(gap_usd) as gap_usd
from {{ ref('mart_cost_reconciliation') }}
group by org_id, charge_date, reconciliation_class, reconciliation_status
