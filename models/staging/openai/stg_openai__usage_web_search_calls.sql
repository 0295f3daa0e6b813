{#- One row per loaded web search calls usage result (row_key): the latest load of each.
    Its columns: macros/openai_usage_endpoints.sql. -#}
{{ stg_openai_usage('web_search_calls') }}
