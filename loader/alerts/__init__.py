"""Alerts (issue 7): anomalies, budget thresholds and load outcomes to Slack, webhooks and email."""

from loader.alerts.cli import main

__all__ = ["main"]
