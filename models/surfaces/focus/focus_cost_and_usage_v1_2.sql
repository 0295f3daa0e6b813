{#- FOCUS 1.2 Cost and Usage: exactly what `export_focus` writes with focus_version '1.2'
    (macros/focus_versions.sql). -#}
{{ focus_cost_and_usage('1.2') }}
