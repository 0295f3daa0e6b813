-- Usage per organization, UTC day and endpoint: tokens and requests, for the report's usage view.
select
    org_id,
    usage_date,
    endpoint,
    coalesce(sum(input_tokens), 0) as input_tokens,
    coalesce(sum(output_tokens), 0) as output_tokens,
    coalesce(sum(num_model_requests), 0) as model_requests,
    coalesce(sum(num_requests), 0) as requests
from {{ ref('fct_openai_usage') }}
group by org_id, usage_date, endpoint
