"""Fixtures of the alert tests; they live in alert_support.py, which the tests import by that name."""

from alert_support import alert_marts_template, hook_server, smtp_server, warehouse

__all__ = ["alert_marts_template", "hook_server", "smtp_server", "warehouse"]
