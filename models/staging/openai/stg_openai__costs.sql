{#- One row per loaded cost result (row_key): the latest load of each (macros/openai_usage_endpoints.sql). -#}
{{ stg_openai_report('costs', [
    {'name': 'amount__value', 'type': 'money', 'alias': 'amount_value'},
    {'name': 'amount__currency', 'type': 'string', 'alias': 'amount_currency'},
    {'name': 'line_item', 'type': 'string'},
    {'name': 'project_id', 'type': 'string'},
    {'name': 'api_key_id', 'type': 'string'},
    {'name': 'quantity', 'type': 'quantity'},
    {'name': 'quantity_unit', 'type': 'string'},
    {'name': 'organization_name', 'type': 'string'},
    {'name': 'project_name', 'type': 'string'},
]) }}
