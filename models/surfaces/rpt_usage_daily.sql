-- Usage per organization, UTC day and endpoint: tokens and requests, for the report's usage view.
select
    org_id,
    usage_date,
    endpoint,
    cast(coalesce(sum(input_tokens), 0) as {{ dbt.type_bigint() }}) as input_tokens,
    cast(coalesce(sum(output_tokens), 0) as {{ dbt.type_bigint() }}) as output_tokens,
    cast(coalesce(sum(num_model_requests), 0) as {{ dbt.type_bigint() }}) as model_requests,
    cast(coalesce(sum(num_requests), 0) as {{ dbt.type_bigint() }}) as requests
from {{ ref('fct_openai_usage') }}
group by org_id, usage_date, endpoint
