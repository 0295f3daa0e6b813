{#- Incremental runs of int_spend_anomaly_scores: score only the days a run can have changed.

    The scores model holds one row per series and complete day, each with `settings_key`, the key
    of the settings (spend_anomalies_settings()) it was scored with. An incremental run:
    - rescores, per organization, the days from `lookback_days` before its latest scored day on:
      the incremental models upstream rewrite no older day, and a day's int_spend_daily row
      depends on that day and earlier days only. An organization without scores is scored in
      full, and so is every organization when any row was scored with other settings;
    - reads int_spend_daily from `spend_anomalies_reach_days()` before the first rescored day: the
      oldest day a score looks at;
    - replaces the rescored days' rows (delete+insert by organization and day).
    The flags and the mart are rebuilt from the scores on every run: no state outside the models.
-#}

{#- Every setting of the anomaly rules, with its default: one place, read by the model and recorded
    with each run. -#}
{% macro spend_anomalies_settings() -%}
    {%- set threshold = var('anomaly_score_threshold', 3.5) -%}
    {{ return({
        'threshold': threshold,
        'min_impact_usd': var('anomaly_min_impact_usd', 5),
        'baseline_weeks': var('anomaly_baseline_weeks', 8),
        'min_baseline_weeks': var('anomaly_min_baseline_weeks', 2),
        'window_days': var('anomaly_window_days', 28),
        'min_window_residuals': var('anomaly_min_window_residuals', 7),
        'min_history_days': var('anomaly_min_history_days', 28),
        'min_scale': var('anomaly_min_scale', 0.15),
        'sparse_zero_share': var('anomaly_sparse_zero_share', 0.5),
        'sparse_spike_factor': var('anomaly_sparse_spike_factor', 3),
        'new_series_min_usd': var('anomaly_new_series_min_usd', 25),
        'new_series_grace_days': var('anomaly_new_series_grace_days', 7),
        'max_similar_days': var('anomaly_max_similar_days', 1),
        'max_drivers': var('anomaly_max_drivers', 3),
        'child_min_project_score': var('anomaly_child_min_project_score', threshold / 2),
        'child_min_score': var('anomaly_child_min_score', 1.5 * threshold),
        'child_new_series_min_share': var('anomaly_child_new_series_min_share', 0.2),
        'episode_days': var('anomaly_episode_days', 2),
        'intermittent_active_share': var('anomaly_intermittent_active_share', 0.5),
        'intermittent_window_days': var('anomaly_intermittent_window_days', 28),
        'latest_day_is_partial': var('spend_latest_day_is_partial', true),
        'severity_high_score_factor': var('anomaly_severity_high_score_factor', 2),
        'severity_medium_score_factor': var('anomaly_severity_medium_score_factor', 1.5),
        'severity_high_impact_factor': var('anomaly_severity_high_impact_factor', 10),
        'severity_medium_impact_factor': var('anomaly_severity_medium_impact_factor', 3),
    }) }}
{%- endmacro %}

{#- How many days before a scored day its score looks at: the same weekday `baseline_weeks` back
    for the residual of each day of the window. -#}
{% macro spend_anomalies_reach_days() -%}
    {%- set settings = openai_finops.spend_anomalies_settings() -%}
    {{ return(7 * settings.baseline_weeks + settings.window_days) }}
{%- endmacro %}

{#- The key of the current settings, carried by every score row: md5 of their JSON. -#}
{% macro spend_anomalies_settings_key() -%}
    {{ return(local_md5(openai_finops.spend_anomalies_settings() | tojson)) }}
{%- endmacro %}

{#- The first rescored day per organization, as (org_id, date) rows; none on a full refresh, when
    nothing is scored yet, or when any row was scored with other settings. -#}
{% macro spend_anomalies_rescore_starts() -%}
    {%- if not execute or this is none or this is string or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set starts_query -%}
        select
            org_id,
            cast({{ dbt.dateadd('day', -1 * var('lookback_days'), 'max(spend_date)') }} as date) as rescore_start,
            min(settings_key) as first_key,
            max(settings_key) as last_key
        from {{ this }}
        group by org_id
        order by org_id
    {%- endset -%}
    {%- set rows = run_query(starts_query).rows -%}
    {%- if rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set key = openai_finops.spend_anomalies_settings_key() -%}
    {%- for row in rows if row[2] != key or row[3] != key -%}
        {{ return(none) }}
    {%- endfor -%}
    {{ return(rows) }}
{%- endmacro %}

{#- The rows of the rescored days, `reach_days` earlier for the history they are scored on:
    literals, so that the filter reaches the table scan. -#}
{% macro spend_anomalies_rescored(org_column, date_column, reach_days=0) -%}
    {%- set starts = openai_finops.spend_anomalies_rescore_starts() -%}
    {%- if starts is none -%}
        1 = 1
    {%- else -%}
        {%- set terms = [] -%}
        {%- set orgs = [] -%}
        {%- for row in starts -%}
            {%- set org = openai_finops.sql_string_literal(row[0]) -%}
            {%- do orgs.append(org) -%}
            {%- do terms.append(
                '(' ~ org_column ~ ' = ' ~ org ~ ' and ' ~ date_column ~ ' >= '
                ~ openai_finops.anomalies_add_days(
                    'cast(' ~ openai_finops.sql_string_literal(row[1] | string) ~ ' as date)', -1 * reach_days
                ) ~ ')'
            ) -%}
        {%- endfor -%}
        {%- do terms.append(org_column ~ ' not in (' ~ orgs | join(', ') ~ ')') -%}
        ({{ terms | join('\n        or ') }})
    {%- endif -%}
{%- endmacro %}
