"""Alerts (issue 7): anomalies, budget thresholds and load outcomes to Slack, webhooks and email."""

from loader.alerts.cli import main
from loader.alerts.runs import record_run

__all__ = ["main", "record_run"]
