{#- One row per loaded moderations usage result (row_key): the latest load of each.
    Its columns: macros/openai_usage_endpoints.sql. -#}
{{ stg_openai_usage('moderations') }}
