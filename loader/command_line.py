"""What every `python -m loader` subcommand shares: its parser class, UTC dates, the warehouse path.

Standard library only, so a subcommand's start-up pays for nothing it does not use.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import NoReturn

DEFAULT_DUCKDB = "warehouse/openai_finops.duckdb"
# `--demo` keeps the simulated organizations in a warehouse of their own.
DEMO_DUCKDB = "warehouse/demo.duckdb"


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2): the message is what the user needs, not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def utc_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}, expected YYYY-MM-DD (UTC)") from None


def duckdb_path_from_env(environ: Mapping[str, str] | None = None, demo: bool = False) -> Path:
    """The DuckDB warehouse: OPENAI_FINOPS_DUCKDB, else the real (or with `demo` the demo's) default."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("OPENAI_FINOPS_DUCKDB") or (DEMO_DUCKDB if demo else DEFAULT_DUCKDB))
