{#- The team's cloud bills in FOCUS (AWS, Azure, Google, Oracle exports), read beside OpenAI's.

    Off by default: `var('cloud_focus_path')` (DuckDB: a folder of *.csv and *.parquet files) and
    `var('cloud_focus_table')` (PostgreSQL, which has no file reader: a table the team loads the
    files into, e.g. `cloud_focus.cost_and_usage`) are both empty, and stg_cloud_focus__cost_and_usage
    is then an empty, typed select.

    `cloud_focus_rows()` renders a select of every column of `cloud_focus_columns()` as text under
    its FOCUS 1.3 name, plus `x_SourceFile` and `x_FocusVersion`, from whatever the files hold:
    - the FOCUS version of each file (DuckDB) or of the table (PostgreSQL) is read from the columns
      it has (`cloud_focus_version_of`), at compile time;
    - files of one format and version are read together (`read_csv`/`read_parquet` over their
      list, `union_by_name`, CSV all text), then renamed with that version's mapping
      (`cloud_focus_renames`): 1.0 to 1.2 have ProviderName where 1.3 has ServiceProviderName and
      HostProviderName;
    - a column the file lacks is null.
    Parsing (null tokens, dates, numbers) and the FOCUS rule checks are in the staging model,
    portable, on the text this returns. -#}

{#- Every column staging keeps, with its logical type (string, money, quantity, timestamp). -#}
{% macro cloud_focus_columns() -%}
    {{ return([
        {'name': 'AvailabilityZone', 'type': 'string'},
        {'name': 'BilledCost', 'type': 'money'},
        {'name': 'BillingAccountId', 'type': 'string'},
        {'name': 'BillingAccountName', 'type': 'string'},
        {'name': 'BillingCurrency', 'type': 'string'},
        {'name': 'BillingPeriodEnd', 'type': 'timestamp'},
        {'name': 'BillingPeriodStart', 'type': 'timestamp'},
        {'name': 'ChargeCategory', 'type': 'string'},
        {'name': 'ChargeClass', 'type': 'string'},
        {'name': 'ChargeDescription', 'type': 'string'},
        {'name': 'ChargeFrequency', 'type': 'string'},
        {'name': 'ChargePeriodEnd', 'type': 'timestamp'},
        {'name': 'ChargePeriodStart', 'type': 'timestamp'},
        {'name': 'ConsumedQuantity', 'type': 'quantity'},
        {'name': 'ConsumedUnit', 'type': 'string'},
        {'name': 'ContractedCost', 'type': 'money'},
        {'name': 'ContractedUnitPrice', 'type': 'money'},
        {'name': 'EffectiveCost', 'type': 'money'},
        {'name': 'HostProviderName', 'type': 'string'},
        {'name': 'InvoiceDetailId', 'type': 'string'},
        {'name': 'InvoiceId', 'type': 'string'},
        {'name': 'InvoiceIssuerName', 'type': 'string'},
        {'name': 'ListCost', 'type': 'money'},
        {'name': 'ListUnitPrice', 'type': 'money'},
        {'name': 'PricingCategory', 'type': 'string'},
        {'name': 'PricingQuantity', 'type': 'quantity'},
        {'name': 'PricingUnit', 'type': 'string'},
        {'name': 'RegionId', 'type': 'string'},
        {'name': 'RegionName', 'type': 'string'},
        {'name': 'ResourceId', 'type': 'string'},
        {'name': 'ResourceName', 'type': 'string'},
        {'name': 'ResourceType', 'type': 'string'},
        {'name': 'ServiceCategory', 'type': 'string'},
        {'name': 'ServiceName', 'type': 'string'},
        {'name': 'ServiceProviderName', 'type': 'string'},
        {'name': 'ServiceSubcategory', 'type': 'string'},
        {'name': 'SkuId', 'type': 'string'},
        {'name': 'SkuPriceId', 'type': 'string'},
        {'name': 'SubAccountId', 'type': 'string'},
        {'name': 'SubAccountName', 'type': 'string'},
        {'name': 'Tags', 'type': 'string'},
    ]) }}
{%- endmacro %}

{#- Per FOCUS version, where each 1.3 column comes from when the file's own column of that name is
    absent: a 1.3 name -> the older column holding it. 1.0 to 1.2 name the provider once
    (ProviderName); 1.3 split it into the seller (ServiceProviderName) and the host
    (HostProviderName), and a provider of those versions hosted what it sold, so both take it.
    1.3 still carries ProviderName and PublisherName (deprecated) beside the new names.
    1.4 removes ProviderName and PublisherName and adds InvoiceDetailId (kept) and
    CommitmentProgramEligibilityDetails (not kept here): its 1.3 names need no renaming, so its
    entry is empty; a 1.5 that renames a column is one more entry here and one more signature in
    cloud_focus_version_of. -#}
{% macro cloud_focus_renames() -%}
    {%- set provider_split = {'ServiceProviderName': 'ProviderName', 'HostProviderName': 'ProviderName'} -%}
    {{ return({
        '1.0': provider_split,
        '1.1': provider_split,
        '1.2': provider_split,
        '1.3': {},
        '1.4': {},
    }) }}
{%- endmacro %}

{#- The FOCUS version a set of column names (lower case) belongs to: the newest version whose
    columns it has (the columns each version introduced, COLUMNS-1.3.md), 1.0 otherwise. -#}
{% macro cloud_focus_version_of(columns) -%}
    {%- set introduced = [
        ('1.4', ['invoicedetailid', 'commitmentprogrameligibilitydetails']),
        ('1.3', ['serviceprovidername', 'hostprovidername', 'contractapplied', 'allocatedmethodid',
                 'allocatedresourceid', 'allocatedtags']),
        ('1.2', ['billingaccounttype', 'subaccounttype', 'invoiceid', 'pricingcurrency',
                 'pricingcurrencyeffectivecost', 'pricingcurrencylistunitprice']),
        ('1.1', ['servicesubcategory', 'skumeter', 'skupricedetails', 'capacityreservationid',
                 'commitmentdiscountquantity', 'commitmentdiscountunit']),
    ] -%}
    {#- 1.4 without its new (conditional) columns: the 1.3 names with ProviderName gone. -#}
    {%- if 'serviceprovidername' in columns and 'providername' not in columns -%}
        {{ return('1.4') }}
    {%- endif -%}
    {%- for version, names in introduced -%}
        {%- for name in names -%}
            {%- if name in columns -%}{{ return(version) }}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return('1.0') }}
{%- endmacro %}

{#- The select list that maps one relation's columns to ours: `present` maps each lower-cased
    column name of the relation to its spelling there. -#}
{% macro cloud_focus_select_list(present, version, source_file) -%}
    {%- set renames = openai_finops.cloud_focus_renames()[version] -%}
    {%- for column in openai_finops.cloud_focus_columns() %}
        {%- set own = column['name'] | lower -%}
        {%- set older = (renames.get(column['name'], '') | lower) -%}
        {%- if own in present -%}
            cast({{ adapter.quote(present[own]) }} as {{ dbt.type_string() }})
        {%- elif older and older in present -%}
            cast({{ adapter.quote(present[older]) }} as {{ dbt.type_string() }})
        {%- else -%}
            cast(null as {{ dbt.type_string() }})
        {%- endif %} as {{ adapter.quote(column['name']) }},
    {% endfor -%}
    {{ source_file }} as "x_SourceFile",
    '{{ version }}' as "x_FocusVersion"
{%- endmacro %}

{#- No files, no table: the same columns, no rows. -#}
{% macro cloud_focus_empty_rows() -%}
    select
    {%- for column in openai_finops.cloud_focus_columns() %}
        cast(null as {{ dbt.type_string() }}) as {{ adapter.quote(column['name']) }},
    {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as "x_SourceFile",
        cast(null as {{ dbt.type_string() }}) as "x_FocusVersion"
    where 1 = 0
{%- endmacro %}

{% macro cloud_focus_rows() -%}
    {{ return(adapter.dispatch('cloud_focus_rows', 'openai_finops')()) }}
{%- endmacro %}

{#- PostgreSQL and any engine without a file reader: the table named by var('cloud_focus_table')
    ("schema.table"), loaded by the team from the files (README, "The rest of the bill"); its
    columns may be of any type and any case. A missing table or an empty var gives no rows. -#}
{% macro default__cloud_focus_rows() -%}
    {%- set table = var('cloud_focus_table', '') | trim -%}
    {%- if not table or not execute -%}
        {{ return(openai_finops.cloud_focus_empty_rows()) }}
    {%- endif -%}
    {%- set parts = table.split('.') -%}
    {%- if parts | length != 2 -%}
        {{ exceptions.raise_compiler_error("cloud_focus_table: expected `schema.table`, got `" ~ table ~ "`") }}
    {%- endif -%}
    {%- set found = adapter.get_relation(database=target.database, schema=parts[0], identifier=parts[1]) -%}
    {%- if found is none -%}
        {{ log("cloud_focus_table " ~ table ~ " does not exist: no cloud FOCUS rows", info=true) }}
        {{ return(openai_finops.cloud_focus_empty_rows()) }}
    {%- endif -%}
    {%- set present = {} -%}
    {%- for column in adapter.get_columns_in_relation(found) -%}
        {%- do present.update({column.name | lower: column.name}) -%}
    {%- endfor -%}
    {%- set version = openai_finops.cloud_focus_version_of(present) %}
    select
        {{ openai_finops.cloud_focus_select_list(present, version, "'" ~ table ~ "'") }}
    from {{ found }}
{%- endmacro %}

{#- DuckDB: every *.csv and *.parquet file of var('cloud_focus_path') (not its subfolders). Each
    file's columns are read at compile time (`describe`, which reads the header or the parquet
    footer), files of one format and FOCUS version are read in one scan. A column of the files
    named `filename` is shadowed by the reader's own (the file's path). -#}
{% macro duckdb__cloud_focus_rows() -%}
    {%- set folder = var('cloud_focus_path', '') | trim -%}
    {%- if not folder or not execute -%}
        {{ return(openai_finops.cloud_focus_empty_rows()) }}
    {%- endif -%}
    {%- set folder = folder.rstrip('/') -%}
    {%- if "'" in folder -%}
        {{ exceptions.raise_compiler_error("cloud_focus_path: a quote in the path is not supported: " ~ folder) }}
    {%- endif -%}
    {%- set readers = {
        'csv': "read_csv(%s, all_varchar = true, union_by_name = true, filename = true)",
        'parquet': "read_parquet(%s, union_by_name = true, filename = true)",
    } -%}
    {%- set groups = {} -%}
    {%- set order = [] -%}
    {%- for extension in ['csv', 'parquet'] -%}
        {%- set files = run_query("select file from glob('" ~ folder ~ "/*." ~ extension ~ "') order by file") -%}
        {%- for file in files.columns[0].values() -%}
            {%- set described = run_query("describe select * from " ~ (readers[extension] | format("'" ~ file ~ "'"))) -%}
            {%- set present = {} -%}
            {%- for name in described.columns[0].values() if (name | lower) != 'filename' -%}
                {%- do present.update({name | lower: name}) -%}
            {%- endfor -%}
            {%- set version = openai_finops.cloud_focus_version_of(present) -%}
            {%- set key = extension ~ ' ' ~ version -%}
            {%- if key not in groups -%}
                {%- do groups.update({key: {'extension': extension, 'version': version, 'files': [], 'present': {}}}) -%}
                {%- do order.append(key) -%}
            {%- endif -%}
            {%- do groups[key]['files'].append("'" ~ file ~ "'") -%}
            {%- do groups[key]['present'].update(present) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if order | length == 0 -%}
        {{ log("cloud_focus_path " ~ folder ~ " holds no .csv or .parquet file: no cloud FOCUS rows", info=true) }}
        {{ return(openai_finops.cloud_focus_empty_rows()) }}
    {%- endif -%}
    {%- for key in order -%}
        {%- set group = groups[key] %}
    select
        {{ openai_finops.cloud_focus_select_list(
            group['present'], group['version'], "regexp_replace(filename, '^.*/', '')"
        ) }}
    from {{ readers[group['extension']] | format('[' ~ group['files'] | join(', ') ~ ']') }}
    {{ "\n    union all" if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- Text to null: an empty or blank string, and the bare token NULL some exports write. -#}
{% macro cloud_focus_text(column) -%}
    case when upper(trim({{ column }})) in ('', 'NULL') then null else trim({{ column }}) end
{%- endmacro %}

{#- Text to decimal(38, 18), exactly: surrounding quotes removed; null when it is no number (the
    staging model then flags the column). -#}
{% macro cloud_focus_decimal(column) -%}
    {{ return(adapter.dispatch('cloud_focus_decimal', 'openai_finops')(column)) }}
{%- endmacro %}

{% macro default__cloud_focus_decimal(column) -%}
    {%- set bare = "trim(both '\"' from trim(" ~ column ~ "))" -%}
    case
        when {{ bare }} ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'
            then cast({{ bare }} as {{ openai_finops.type_money() }})
    end
{%- endmacro %}

{% macro duckdb__cloud_focus_decimal(column) -%}
    try_cast(trim(trim({{ column }}), '"') as {{ openai_finops.type_money() }})
{%- endmacro %}

{#- Text to a naive UTC timestamp. FOCUS writes `YYYY-MM-DDTHH:mm:ssZ`; exports also write a space
    for the T, no Z (read as UTC), fractions of a second, an offset (`+02:00`, converted to UTC),
    a bare date, and Azure's US `MM/DD/YYYY` with or without a time. Null when none fits. -#}
{% macro cloud_focus_timestamp(column) -%}
    {{ return(adapter.dispatch('cloud_focus_timestamp', 'openai_finops')(column)) }}
{%- endmacro %}

{% macro default__cloud_focus_timestamp(column) -%}
    {%- set bare = "trim(" ~ column ~ ")" -%}
    case
        when {{ bare }} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$'
            then cast({{ bare }} as {{ dbt.type_timestamp() }})
        when {{ bare }} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'
            then {{ openai_finops.timestamptz_to_utc('cast(' ~ bare ~ ' as timestamp with time zone)') }}
        when {{ bare }} ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$'
            then cast(to_timestamp({{ bare }}, 'MM/DD/YYYY') at time zone 'UTC' as {{ dbt.type_timestamp() }})
        when {{ bare }} ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$'
            then cast(to_timestamp({{ bare }}, 'MM/DD/YYYY HH24:MI:SS') at time zone 'UTC' as {{ dbt.type_timestamp() }})
    end
{%- endmacro %}

{% macro duckdb__cloud_focus_timestamp(column) -%}
    {%- set bare = "trim(" ~ column ~ ")" -%}
    coalesce(
        try_strptime({{ bare }}, [
            '%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M:%S.%fZ',
            '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%dT%H:%MZ', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M', '%Y-%m-%d',
            '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y'
        ]),
        {{ openai_finops.timestamptz_to_utc(
            "try_strptime(" ~ bare ~ ", ['%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%d %H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f%z'])"
        ) }}
    )
{%- endmacro %}
