"""The spend report (issue 7): one self-contained HTML file drawn from the marts."""

from loader.report.cli import main

__all__ = ["main"]
