{#- FOCUS 1.3 Cost and Usage: exactly what `export_focus` writes with focus_version '1.3'
    (macros/focus_versions.sql). -#}
{{ focus_cost_and_usage('1.3') }}
