{#- The lookback window of the incremental models.

    Each incremental model is replaced by whole (organization, day or bucket): `unique_key` is that
    pair and the strategy `delete+insert`, so every (organization, day) a run re-reads is deleted and
    rebuilt from the sources, and rows that a restatement removed disappear too. A run re-reads, per
    organization, from `var('lookback_days')` days before that organization's newest day already in
    the model (the loader re-reads the same number of days: keep `--lookback-days` equal); an
    organization the model does not hold yet (a new one, backfilled by the loader) is read in full.

    `lookback_predicate(org_column, time_column, time_type, this_org_column, this_time_column,
    changed_since)` renders the filter on the model's input rows:
    - full refresh: `1 = 1`;
    - incremental run: the bounds are read from the model's own table when the model is compiled
      and written in as literals, e.g. `((org_id = 'org-1' and charge_date >= cast('2026-03-07' as
      date)) or org_id not in ('org-1'))`. Literals, not a subquery, so that every engine pushes the
      filter down into the staging views (below their newest-load step, macros/newest_load_rows.sql,
      keyed by organization and bucket for that reason) and into table scans: a daily run reads
      a few days, however long the history. When every organization in the raw usage and cost
      tables has the same bound (the daily case), the filter is that one range on the time
      column, e.g. `charge_date >= cast('2026-03-07' as date)`;
    - `this_where`: which of the model's rows set the bounds (fct_openai_cost: its Usage rows, not
      credits that may be dated ahead);
    - `reach_days`: the organizations' bounds that many days earlier, for the history that the
      re-read days are computed from (int_spend_daily: the window of its intermittent rule);
    - `changed_since`: queries that return one column, the earliest day whose rows are out of date
      for a reason other than new data (a seed edited after the fact), or null. Days from there on
      are re-read for every organization;
    - in a dbt unit test (where `this` is a fixture, not a table) the same bounds as a correlated
      subquery, so the incremental filter can be unit-tested; `changed_since` is left out there.

    A day whose rows all disappear from the sources is removed by a --full-refresh only (nothing
    re-read names it). `time_type` is `date` or `timestamp`, the type of `time_column` (the literals get the same type,
    so DuckDB can prune row groups by their min/max). -#}

{% macro lookback_predicate(
    org_column, time_column, time_type, this_org_column, this_time_column, changed_since=[], this_where='1 = 1',
    reach_days=0
) -%}
    {{ return(adapter.dispatch('lookback_predicate', 'openai_finops')(
        org_column, time_column, time_type, this_org_column, this_time_column, changed_since, this_where,
        reach_days
    )) }}
{%- endmacro %}

{% macro default__lookback_predicate(
    org_column, time_column, time_type, this_org_column, this_time_column, changed_since, this_where, reach_days
) -%}
    {%- if time_type not in ('date', 'timestamp') -%}
        {{ exceptions.raise_compiler_error(
            "lookback_predicate: `time_type` must be 'date' or 'timestamp', got " ~ time_type
        ) }}
    {%- endif -%}
    {%- set sql_type = 'date' if time_type == 'date' else dbt.type_timestamp() -%}
    {%- set lookback = -1 * (var('lookback_days') + reach_days) -%}
    {%- if this is none or not is_incremental() -%}
        {#- `this` is none in a unit test without a `this` fixture: a full refresh -#}
        1 = 1
    {%- elif this is string -%}
        {#- a unit test: `this` is the name of a fixture CTE -#}
        {{ time_column }} >= coalesce(
            (
                select cast({{ dbt.dateadd('day', lookback, 'max(lookback_this.' ~ this_time_column ~ ')') }}
                    as {{ sql_type }})
                from {{ this }} as lookback_this
                where
                    lookback_this.{{ this_org_column }} = {{ org_column }}
                    and {{ this_where }}
            ),
            {{ time_column }}
        )
    {%- elif not execute -%}
        1 = 1
    {%- else -%}
        {%- set bounds_query -%}
            select
                {{ this_org_column }} as org_id,
                cast({{ dbt.dateadd('day', lookback, 'max(' ~ this_time_column ~ ')') }} as {{ sql_type }})
                    as lookback_start
            from {{ this }}
            where {{ this_org_column }} is not null and {{ this_where }}
            group by {{ this_org_column }}
            order by 1
        {%- endset -%}
        {%- set bounds = run_query(bounds_query) -%}
        {%- set terms = [] -%}
        {%- set orgs = [] -%}
        {%- for row in bounds.rows -%}
            {%- if row[1] is not none -%}
                {%- do orgs.append(openai_finops.sql_string_literal(row[0])) -%}
                {%- do terms.append(
                    '(' ~ org_column ~ ' = ' ~ openai_finops.sql_string_literal(row[0]) ~ ' and '
                    ~ time_column ~ ' >= cast(' ~ openai_finops.sql_string_literal(row[1] | string) ~ ' as '
                    ~ sql_type ~ '))'
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if orgs | length == 0 -%}
            {%- do terms.append('1 = 1') -%}
        {%- else -%}
            {%- do terms.append(org_column ~ ' not in (' ~ orgs | join(', ') ~ ')') -%}
        {%- endif -%}
        {%- set org_starts = bounds.rows | rejectattr(1, 'none') | map(attribute=1) | map('string') | list -%}
        {%- set starts = org_starts[:] -%}
        {%- for query in changed_since -%}
            {%- set changed = run_query(query) -%}
            {%- if changed.rows | length > 0 and changed.rows[0][0] is not none -%}
                {%- do starts.append(changed.rows[0][0] | string) -%}
                {%- do terms.append(
                    time_column ~ ' >= cast(' ~ openai_finops.sql_string_literal(changed.rows[0][0] | string)
                    ~ ' as ' ~ sql_type ~ ')'
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set bounded_orgs = bounds.rows | rejectattr(1, 'none') | map(attribute=0) | list -%}
        {%- set unbounded_orgs = openai_finops.loaded_org_ids() | reject('in', bounded_orgs) | list -%}
        {%- if org_starts | unique | list | length == 1 and unbounded_orgs | length == 0 -%}
            {#- The daily case: every loaded organization has the same bound. The terms above then
                say no more than one range on the time column, which the engine applies while it
                scans (DuckDB reads only the matching rows' other columns); a condition on the
                organization and the time together made it read every column of every row first (a
                year-long usage_completions: 3.9M rows to keep 51k, 3 s against 0.6 s). ISO text:
                the least is the earliest. -#}
            {{ time_column }} >= cast({{ openai_finops.sql_string_literal(starts | min) }} as {{ sql_type }})
        {%- else -%}
            ({{ terms | join('\n        or ') }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The organizations in the raw usage and cost tables: every organization the loader has loaded. -#}
{% macro loaded_org_ids() -%}
    {%- set selects = [] -%}
    {%- for node in graph.sources.values()
        if node.source_name == 'openai_raw' and (node.name.startswith('usage_') or node.name == 'costs') -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.identifier) -%}
        {%- if relation is not none -%}
            {%- do selects.append('select distinct org_id from ' ~ relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if selects | length == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(run_query(selects | join(' union ')).columns[0].values() | list) }}
{%- endmacro %}

{#- A text value as a quoted SQL literal (single quotes doubled). -#}
{% macro sql_string_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
