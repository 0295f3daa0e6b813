{#- Export FOCUS Cost and Usage for a date range to Parquet and CSV, with the dataset's metadata:

        dbt run-operation export_focus --args '{start_date: 2026-03-01, end_date: 2026-03-31, path: warehouse/exports/focus}'
        dbt run-operation export_focus --args '{start_date: ..., end_date: ..., path: ..., focus_version: "1.2"}'

    `focus_version` is '1.3' (the default) or '1.2' (focus_versions()); the file holds exactly the rows
    and columns of the view focus.focus_cost_and_usage_v<version> (models/surfaces/focus/) whose
    charge day is in [start_date, end_date], both inclusive: that version's FOCUS columns, FOCUS
    date-times as text `YYYY-MM-DDTHH:mm:ssZ` (UTC), then our x_ columns; decimals stay exact.
    Writes `<path>.parquet`, `<path>.csv` and `<path>.metadata.json` (a trailing .parquet/.csv on
    `path` is ignored; the folder must exist). Logs the row count and the BilledCost total. -#}
{% macro export_focus(start_date, end_date, path, focus_version='1.3') -%}
    {%- for name, value in [('start_date', start_date), ('end_date', end_date), ('path', path)] -%}
        {%- if value is none or (value | string | trim) == '' -%}
            {{ exceptions.raise_compiler_error("export_focus: argument `" ~ name ~ "` is required (start_date, end_date as YYYY-MM-DD; path without extension)") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set version = openai_finops.focus_check_version(focus_version, 'export_focus') -%}
    {%- set start_text = start_date | string -%}
    {%- set end_text = end_date | string -%}
    {%- for name, value in [('start_date', start_text), ('end_date', end_text)] -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
            {{ exceptions.raise_compiler_error("export_focus: `" ~ name ~ "` must be a date YYYY-MM-DD, got " ~ value) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set stem = modules.re.sub('\\.(parquet|csv)$', '', path | string) -%}
    {{ return(adapter.dispatch('export_focus', 'openai_finops')(start_text, end_text, stem, version)) }}
{%- endmacro %}

{% macro default__export_focus(start_date, end_date, stem, focus_version) -%}
    {{ exceptions.raise_compiler_error("export_focus: file export is implemented for DuckDB only (adapter " ~ adapter.type() ~ "); on other warehouses select from focus.focus_cost_and_usage_v" ~ focus_version | replace('.', '_') ~ " with your client's export") }}
{%- endmacro %}

{#- The rows of one version's view for the date range, in a stable order. -#}
{% macro focus_export_select(relation, start_date, end_date) -%}
    select *
    from {{ relation }}
    where "x_ChargeDate" >= cast('{{ start_date }}' as date)
        and "x_ChargeDate" <= cast('{{ end_date }}' as date)
    order by "ChargePeriodStart", "BillingAccountId", "SubAccountId", "x_LineItem", "x_ApiKeyId", "ChargeDescription"
{%- endmacro %}

{#- FOCUS data types of the columns of a version (the metadata's ColumnDefinition). -#}
{% macro focus_metadata_data_type(column) -%}
    {%- set json_columns = ['Tags', 'SkuPriceDetails', 'AllocatedTags', 'AllocatedMethodDetails', 'ContractApplied'] -%}
    {%- set data_type = (column.data_type or '') | lower -%}
    {%- if column.name in json_columns -%}{{ return('JSON') }}
    {%- elif data_type.startswith('timestamp') -%}{{ return('DateTime') }}
    {%- elif data_type.startswith('decimal') or data_type.startswith('numeric') -%}{{ return('Decimal') }}
    {%- elif data_type == 'date' -%}{{ return('Date') }}
    {%- elif data_type == 'boolean' -%}{{ return('Boolean') }}
    {%- else -%}{{ return('String') }}
    {%- endif -%}
{%- endmacro %}

{#- The dataset metadata of an export (FOCUS metadata): FocusVersion, DataGenerator (this
    project, which builds the data from OpenAI's API; not OpenAI), and a Schema with the column
    definitions, deprecated columns marked. From 1.3 also the mandatory DatasetInstance collection,
    whose DatasetInstanceId the Schema repeats. The id is stable across runs: var
    `focus_dataset_instance_id`, else a GUID-shaped MD5 of the project, the dataset and the
    warehouse (adapter type and database). -#}
{% macro focus_export_metadata(focus_version) -%}
    {%- set columns = openai_finops.focus_columns(focus_version) -%}
    {%- set definitions = [] -%}
    {%- for column in columns -%}
        {%- set definition = {'ColumnName': column.name, 'DataType': openai_finops.focus_metadata_data_type(column)} -%}
        {%- set size = modules.re.match('^(?:decimal|numeric)\\(\\s*([0-9]+)\\s*,\\s*([0-9]+)\\s*\\)$', (column.data_type or '') | lower) -%}
        {%- if size -%}
            {%- do definition.update({'NumberPrecision': size.group(1) | int, 'NumberScale': size.group(2) | int}) -%}
        {%- endif -%}
        {%- set deprecated = column.meta.get('focus_deprecated') -%}
        {%- if deprecated is not none -%}
            {%- do definition.update({'Deprecated': openai_finops.focus_version_key(deprecated) <= openai_finops.focus_version_key(focus_version)}) -%}
        {%- elif column.is_focus -%}
            {%- do definition.update({'Deprecated': false}) -%}
        {%- endif -%}
        {%- do definitions.append(definition) -%}
    {%- endfor -%}
    {%- set schema_id = local_md5('openai-finops|CostAndUsage|' ~ focus_version ~ '|' ~ (columns | map(attribute='name') | join(','))) -%}
    {%- set schema = {
        'SchemaId': schema_id,
        'FocusVersion': focus_version,
        'CreationDate': modules.datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ'),
        'ColumnDefinition': definitions,
    } -%}
    {%- set metadata = {
        'FocusVersion': focus_version,
        'DataGenerator': {'DataGenerator': 'openai-finops', 'x_Source': 'OpenAI organization costs API'},
    } -%}
    {%- if openai_finops.focus_version_key(focus_version) >= openai_finops.focus_version_key('1.3') -%}
        {%- set digest = var('focus_dataset_instance_id', none)
            or local_md5('openai-finops|CostAndUsage|' ~ target.type ~ '|' ~ target.database) -%}
        {%- set instance_id = digest if var('focus_dataset_instance_id', none) else
            digest[0:8] ~ '-' ~ digest[8:12] ~ '-' ~ digest[12:16] ~ '-' ~ digest[16:20] ~ '-' ~ digest[20:32] -%}
        {%- do metadata.update({'DatasetInstance': [{
            'DatasetInstanceId': instance_id,
            'DatasetInstanceName': 'OpenAI Cost and Usage (openai-finops)',
            'FocusDatasetId': 'CostAndUsage',
        }]}) -%}
        {%- do schema.update({'DatasetInstanceId': instance_id}) -%}
    {%- endif -%}
    {%- do metadata.update({'Schema': schema}) -%}
    {{ return(metadata) }}
{%- endmacro %}

{% macro duckdb__export_focus(start_date, end_date, stem, focus_version) -%}
    {%- set relation = ref('focus_cost_and_usage_v' ~ focus_version | replace('.', '_')) -%}
    {%- set query = openai_finops.focus_export_select(relation, start_date, end_date) -%}
    {%- set path_literal = stem | replace("'", "''") -%}
    {%- do run_query("copy (" ~ query ~ ") to '" ~ path_literal ~ ".parquet' (format parquet)") -%}
    {%- do run_query("copy (" ~ query ~ ") to '" ~ path_literal ~ ".csv' (format csv, header true)") -%}
    {#- One JSON object: each top-level member a json-typed column, which DuckDB writes as is. #}
    {%- set members = [] -%}
    {%- for key, value in openai_finops.focus_export_metadata(focus_version).items() -%}
        {%- do members.append("cast('" ~ (tojson(value) | replace("'", "''")) ~ "' as json) as \"" ~ key ~ "\"") -%}
    {%- endfor -%}
    {%- do run_query("copy (select " ~ members | join(', ') ~ ") to '" ~ path_literal ~ ".metadata.json' (format json)") -%}
    {%- set totals = run_query(
        "select count(*), coalesce(sum(\"BilledCost\"), 0) from (" ~ query ~ ") as exported"
    ) -%}
    {%- set row_count = totals.rows[0][0] -%}
    {%- set billed = totals.rows[0][1] -%}
    {{ log("export_focus: FOCUS " ~ focus_version ~ ", " ~ row_count ~ " rows, BilledCost " ~ billed ~ " USD, " ~ start_date ~ " to " ~ end_date ~ " -> " ~ stem ~ ".parquet, " ~ stem ~ ".csv, " ~ stem ~ ".metadata.json", info=true) }}
{%- endmacro %}
