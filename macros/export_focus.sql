{#- Export the FOCUS 1.2 table for a date range to Parquet and CSV:

        dbt run-operation export_focus --args '{start_date: 2026-03-01, end_date: 2026-03-31, path: warehouse/exports/focus}'

    Writes `<path>.parquet` and `<path>.csv` (a trailing .parquet/.csv on `path` is ignored; the
    folder must exist) with the rows of fct_openai_cost whose charge day is in
    [start_date, end_date], both inclusive. FOCUS date-times are written as text
    `YYYY-MM-DDTHH:mm:ssZ` (UTC), every other column keeps its type (decimals stay exact).
    Logs the row count and the BilledCost total. -#}
{% macro export_focus(start_date, end_date, path) -%}
    {%- for name, value in [('start_date', start_date), ('end_date', end_date), ('path', path)] -%}
        {%- if value is none or (value | string | trim) == '' -%}
            {{ exceptions.raise_compiler_error("export_focus: argument `" ~ name ~ "` is required (start_date, end_date as YYYY-MM-DD; path without extension)") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set start_text = start_date | string -%}
    {%- set end_text = end_date | string -%}
    {%- for name, value in [('start_date', start_text), ('end_date', end_text)] -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
            {{ exceptions.raise_compiler_error("export_focus: `" ~ name ~ "` must be a date YYYY-MM-DD, got " ~ value) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set stem = modules.re.sub('\\.(parquet|csv)$', '', path | string) -%}
    {{ return(adapter.dispatch('export_focus', 'openai_finops')(start_text, end_text, stem)) }}
{%- endmacro %}

{% macro default__export_focus(start_date, end_date, stem) -%}
    {{ exceptions.raise_compiler_error("export_focus: file export is implemented for DuckDB only (adapter " ~ adapter.type() ~ "); on other warehouses select from fct_openai_cost with your client's export") }}
{%- endmacro %}

{#- The export's select list: FOCUS date-times as `YYYY-MM-DDTHH:mm:ssZ` text, the rest as is. -#}
{% macro focus_export_select(relation, start_date, end_date) -%}
    {%- set datetime_columns = ['billingperiodstart', 'billingperiodend', 'chargeperiodstart', 'chargeperiodend'] -%}
    {%- set expressions = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- set quoted = adapter.quote(column.name) -%}
        {%- if column.name | lower in datetime_columns -%}
            {%- do expressions.append(openai_finops.focus_datetime_string(quoted) ~ ' as ' ~ quoted) -%}
        {%- else -%}
            {%- do expressions.append(quoted) -%}
        {%- endif -%}
    {%- endfor -%}
    select {{ expressions | join(', ') }}
    from {{ relation }}
    where "x_ChargeDate" >= cast('{{ start_date }}' as date)
        and "x_ChargeDate" <= cast('{{ end_date }}' as date)
    order by "ChargePeriodStart", "BillingAccountId", "SubAccountId", "x_LineItem", "x_ApiKeyId", "ChargeDescription"
{%- endmacro %}

{% macro duckdb__export_focus(start_date, end_date, stem) -%}
    {%- set relation = ref('fct_openai_cost') -%}
    {%- set query = openai_finops.focus_export_select(relation, start_date, end_date) -%}
    {%- set path_literal = stem | replace("'", "''") -%}
    {%- do run_query("copy (" ~ query ~ ") to '" ~ path_literal ~ ".parquet' (format parquet)") -%}
    {%- do run_query("copy (" ~ query ~ ") to '" ~ path_literal ~ ".csv' (format csv, header true)") -%}
    {%- set totals = run_query(
        "select count(*), coalesce(sum(\"BilledCost\"), 0) from (" ~ query ~ ") as exported"
    ) -%}
    {%- set row_count = totals.rows[0][0] -%}
    {%- set billed = totals.rows[0][1] -%}
    {{ log("export_focus: " ~ row_count ~ " rows, BilledCost " ~ billed ~ " USD, " ~ start_date ~ " to " ~ end_date ~ " -> " ~ stem ~ ".parquet, " ~ stem ~ ".csv", info=true) }}
{%- endmacro %}
