{{ config(severity='warn') }}
{#- Values OpenAI sent that the loader set aside: a warning, not an error (they are OpenAI's data,
    not our models'); each row names the organization, bucket, field and value. -#}
select
    org_id,
    raw_table,
    bucket_start_at,
    field_name,
    sent_value,
    reason
from {{ ref('stg_openai__rejected_rows') }}
