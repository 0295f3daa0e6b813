"""Alerts: anomalies, budget thresholds and load outcomes to Slack, webhooks and email.

`python -m loader alerts`; reads models/surfaces and openai_raw.loader_runs, logs in alerts.alert_log.
"""
