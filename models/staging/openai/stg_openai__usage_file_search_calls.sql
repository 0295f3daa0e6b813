{#- One row per loaded file search calls usage result (row_key): the latest load of each.
    Its columns: macros/openai_usage_endpoints.sql. -#}
{{ stg_openai_usage('file_search_calls') }}
