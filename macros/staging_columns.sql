{#- Schema-drift-tolerant staging, in the spirit of fivetran's `fill_staging_columns`.

    `select_source_columns(relation, columns)` renders a full `select ... from relation` that
    returns every column in `columns`, typed, whether or not the raw table has it yet:
    - a column the relation has is cast to its logical type;
    - a column it lacks (dlt only creates a column once a non-null value arrives, and optional
      OpenAI fields come and go) is `cast(null as <type>)`;
    - a relation that does not exist yet (dlt creates no table for an endpoint that returned no
      rows) becomes an empty, typed select, so downstream models still build.

    `columns` is a list of dicts: `name` (raw column, dlt spelling), `type` (logical: string,
    bigint, boolean, money, quantity, timestamp, load_id), optional `alias`.
    Logical types keep models portable: `money` is decimal(38, 18), `quantity` decimal(38, 9),
    `timestamp` is a timestamp without time zone holding UTC, converted from whatever the raw
    column holds (epoch seconds, timestamp with time zone, or naive UTC timestamp). -#}

{% macro select_source_columns(relation, columns) -%}
    {{ return(adapter.dispatch('select_source_columns', 'openai_finops')(relation, columns)) }}
{%- endmacro %}

{% macro default__select_source_columns(relation, columns) -%}
    {%- if columns is not sequence or columns is string or columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("select_source_columns: `columns` must be a non-empty list of {name, type} dicts, got " ~ columns) }}
    {%- endif -%}
    {%- set source_types = {} -%}
    {%- set relation_exists = true -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
        {%- if found is none -%}
            {%- set relation_exists = false -%}
        {%- else -%}
            {%- for column in adapter.get_columns_in_relation(found) -%}
                {%- do source_types.update({column.name | lower: column.data_type | lower}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif %}
    select
    {%- for column in columns %}
        {%- set name = column['name'] | lower %}
        {%- set alias = column.get('alias', name) %}
        {%- if not execute or name in source_types %}
        {{ openai_finops.typed_column(name, column['type'], source_types.get(name, '')) }} as {{ alias }}
        {%- else %}
        cast(null as {{ openai_finops.logical_type(column['type']) }}) as {{ alias }}
        {%- endif %}
        {{- "," if not loop.last }}
    {%- endfor %}
    {%- if relation_exists %}
    from {{ relation }}
    {%- else %}
    {#- The raw table does not exist yet: an empty result with the same typed columns. #}
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{#- The warehouse type behind each logical type. -#}
{% macro logical_type(logical) -%}
    {%- if logical == 'string' -%} {{ dbt.type_string() }}
    {%- elif logical == 'bigint' -%} {{ dbt.type_bigint() }}
    {%- elif logical == 'boolean' -%} {{ dbt.type_boolean() }}
    {%- elif logical == 'money' -%} {{ openai_finops.type_money() }}
    {%- elif logical == 'quantity' -%} {{ openai_finops.type_quantity() }}
    {%- elif logical == 'timestamp' -%} {{ dbt.type_timestamp() }}
    {%- elif logical == 'load_id' -%} {{ dbt.type_string() }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("logical_type: unknown logical type `" ~ logical ~ "`") }}
    {%- endif -%}
{%- endmacro %}

{#- Exact money: 38 digits, 18 after the point (OpenAI bills fractions of a cent per token and
    sends up to 18+ decimals as strings). -#}
{% macro type_money() -%} decimal(38, 18) {%- endmacro %}

{#- Billed quantities (tokens, seconds, GiB-hours) as sent in costs.quantity. -#}
{% macro type_quantity() -%} decimal(38, 9) {%- endmacro %}

{#- Cast one existing raw column to its logical type, converting timestamps to naive UTC. -#}
{% macro typed_column(name, logical, source_type) -%}
    {%- if logical == 'timestamp' -%}
        {%- if source_type.startswith(('bigint', 'integer', 'int', 'smallint', 'hugeint', 'double', 'float', 'real', 'decimal', 'numeric')) -%}
            {{ openai_finops.epoch_to_timestamp(name) }}
        {%- elif 'time zone' in source_type or source_type == 'timestamptz' -%}
            {{ openai_finops.timestamptz_to_utc(name) }}
        {%- else -%}
            cast({{ name }} as {{ dbt.type_timestamp() }})
        {%- endif -%}
    {%- else -%}
        cast({{ name }} as {{ openai_finops.logical_type(logical) }})
    {%- endif -%}
{%- endmacro %}
