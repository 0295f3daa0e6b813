"""Fixtures of the report tests; they live in report_support.py, which the tests import by that name."""

from report_support import browser, report_marts

__all__ = ["browser", "report_marts"]
