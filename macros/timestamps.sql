{#- Timestamps are stored as `timestamp` (no time zone) holding UTC, so that no session time zone
    can shift them; these macros get them there. -#}

{#- Epoch seconds (integer) to a naive UTC timestamp. -#}
{% macro epoch_to_timestamp(column) -%}
    {{ return(adapter.dispatch('epoch_to_timestamp', 'openai_finops')(column)) }}
{%- endmacro %}

{% macro default__epoch_to_timestamp(column) -%}
    {{ dbt.dateadd('second', 'cast(' ~ column ~ ' as ' ~ dbt.type_bigint() ~ ')', "cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{#- A timestamp with time zone to the naive timestamp of the same instant in UTC.
    Untested here: Snowflake would override with `convert_timezone('UTC', column)::timestamp_ntz`
    (its `at time zone` is not the PostgreSQL operator); BigQuery with `datetime(column, 'UTC')`. -#}
{% macro timestamptz_to_utc(column) -%}
    {{ return(adapter.dispatch('timestamptz_to_utc', 'openai_finops')(column)) }}
{%- endmacro %}

{% macro default__timestamptz_to_utc(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__timestamptz_to_utc(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}

{#- dlt's `_dlt_load_id` ("1764979200.123456", epoch seconds as text) as a sortable number.
    decimal(18, 6) holds epoch seconds until the year 2286 and, unlike a wider decimal, is a 64-bit
    integer inside: DuckDB (1.5) casts text to decimal(20, 6) about 300 times slower (18 s for the
    281k usage rows of a 30-day large organization), and every staging view sorts by this key. -#}
{% macro load_id_sort_key(column) -%}
    cast({{ column }} as decimal(18, 6))
{%- endmacro %}

{#- FOCUS file format for date-times: `YYYY-MM-DDTHH:mm:ssZ` (UTC). The default (PostgreSQL, tested)
    also runs on Snowflake and Redshift; BigQuery would need
    `format_datetime('%Y-%m-%dT%H:%M:%SZ', column)` (untested here). -#}
{% macro focus_datetime_string(column) -%}
    {{ return(adapter.dispatch('focus_datetime_string', 'openai_finops')(column)) }}
{%- endmacro %}

{% macro default__focus_datetime_string(column) -%}
    to_char({{ column }}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
{%- endmacro %}

{% macro duckdb__focus_datetime_string(column) -%}
    strftime({{ column }}, '%Y-%m-%dT%H:%M:%SZ')
{%- endmacro %}
