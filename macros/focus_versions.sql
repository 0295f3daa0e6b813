{#- The FOCUS versions this project exports, and each one's columns. The column set of a version
    comes from the contract of fct_openai_cost: every FOCUS column there carries
    `meta: {focus_since, focus_level}` and, once FOCUS drops it, `focus_removed`. A column belongs
    to version V when focus_since <= V < focus_removed; our own `x_` columns are in every version,
    after the FOCUS ones. Exporting FOCUS 1.4 is therefore one more entry in focus_versions() and a
    two-line view in models/surfaces/focus/ (1.4 removes ProviderName and PublisherName, whose
    `focus_removed: "1.4"` is already in the contract). -#}
{% macro focus_versions() -%}
    {{ return(['1.2', '1.3']) }}
{%- endmacro %}

{#- `version` checked against focus_versions(): a compiler error naming the allowed values. -#}
{% macro focus_check_version(version, caller_name) -%}
    {%- set allowed = openai_finops.focus_versions() -%}
    {%- if (version | string) not in allowed -%}
        {{ exceptions.raise_compiler_error(caller_name ~ ": `focus_version` must be one of " ~ allowed | join(', ') ~ " (as a string, e.g. '1.3'), got " ~ version) }}
    {%- endif -%}
    {{ return(version | string) }}
{%- endmacro %}

{#- A FOCUS version as a sortable tuple: "1.0-preview" sorts before "1.0". -#}
{% macro focus_version_key(version) -%}
    {%- set text = version | string -%}
    {%- set preview = text.endswith('-preview') -%}
    {%- set parts = text.replace('-preview', '').split('.') -%}
    {{ return([parts[0] | int, (parts[1] | int) if parts | length > 1 else 0, 0 if preview else 1]) }}
{%- endmacro %}

{#- The contract columns of fct_openai_cost (from the graph: call it when `execute` is true), in
    contract order, each as {name, data_type, meta}. -#}
{% macro focus_fact_columns() -%}
    {%- set node = graph.nodes.get('model.openai_finops.fct_openai_cost') -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error("focus_fact_columns: model fct_openai_cost is not in the graph") }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in node.columns.values() -%}
        {%- do columns.append({'name': column.name, 'data_type': column.data_type, 'meta': column.meta or {}}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- The columns of the FOCUS `version` export, each as {name, data_type, meta, is_focus}: the
    FOCUS columns of that version, then every x_ column. -#}
{% macro focus_columns(version) -%}
    {%- set version = openai_finops.focus_check_version(version, 'focus_columns') -%}
    {%- set wanted = openai_finops.focus_version_key(version) -%}
    {%- set focus = [] -%}
    {%- set custom = [] -%}
    {%- for column in openai_finops.focus_fact_columns() -%}
        {%- set since = column.meta.get('focus_since') -%}
        {%- set removed = column.meta.get('focus_removed') -%}
        {%- if column.name.startswith('x_') -%}
            {%- do custom.append(dict(column, is_focus=false)) -%}
        {%- elif since is none -%}
            {{ exceptions.raise_compiler_error("focus_columns: column " ~ column.name ~ " of fct_openai_cost has no meta.focus_since (FOCUS columns need it; our own start with x_)") }}
        {%- elif openai_finops.focus_version_key(since) <= wanted
            and (removed is none or wanted < openai_finops.focus_version_key(removed)) -%}
            {%- do focus.append(dict(column, is_focus=true)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(focus + custom) }}
{%- endmacro %}

{#- The select of a FOCUS `version` Cost and Usage view: exactly the columns and rows the export
    writes, FOCUS date-times as `YYYY-MM-DDTHH:mm:ssZ` text (UTC), everything else as the fact
    has it (decimals stay exact). -#}
{% macro focus_cost_and_usage(version) -%}
    {%- set fact = ref('fct_openai_cost') -%}
    {%- set version = openai_finops.focus_check_version(version, 'focus_cost_and_usage') -%}
    {%- set expressions = [] -%}
    {%- if execute -%}
        {%- for column in openai_finops.focus_columns(version) -%}
            {%- set quoted = adapter.quote(column.name) -%}
            {%- if column.is_focus and (column.data_type | lower).startswith('timestamp') -%}
                {%- do expressions.append(openai_finops.focus_datetime_string('fact.' ~ quoted) ~ ' as ' ~ quoted) -%}
            {%- else -%}
                {%- do expressions.append('fact.' ~ quoted) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {%- do expressions.append('fact.*') -%}
    {%- endif %}
with

fact as (
    select * from {{ fact }}
),

final as (
    select
        {{ expressions | join(',\n        ') }}
    from fact
)

select * from final
{%- endmacro %}
