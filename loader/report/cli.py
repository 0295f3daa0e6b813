"""`python -m loader report`: write the spend report, one self-contained HTML file, and print its path.

Exit codes: 0 written; 1 no marts yet; 2 bad flags.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

import duckdb

from loader.report.data import MissingMarts, read_report_data
from loader.report.html import render_html

DEFAULT_DUCKDB = "warehouse/openai_finops.duckdb"
log = logging.getLogger("loader.report")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}, expected YYYY-MM-DD (UTC)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m loader report",
        description="Write the OpenAI spend report from the marts: one HTML file that needs no network.",
    )
    parser.add_argument(
        "--org", action="append", metavar="ORG", help="only this organization (id or name); repeatable"
    )
    parser.add_argument(
        "--start", type=_date, metavar="YYYY-MM-DD", help="first UTC day (default: all loaded)"
    )
    parser.add_argument(
        "--end", type=_date, metavar="YYYY-MM-DD", help="last UTC day, inclusive (default: latest)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="where to write the file (default: <warehouse>_report.html next to the DuckDB file)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.start and args.end and args.start > args.end:
        parser.error(f"--start {args.start} is after --end {args.end}")
    duckdb_path = Path(os.environ.get("OPENAI_FINOPS_DUCKDB", DEFAULT_DUCKDB))
    if not duckdb_path.exists():
        print(
            f"{parser.prog}: error: no warehouse at {duckdb_path}: run the loader and dbt first",
            file=sys.stderr,
        )
        return 1
    out = args.out or duckdb_path.with_name(f"{duckdb_path.stem}_report.html")
    try:
        with duckdb.connect(str(duckdb_path), read_only=True) as con:
            data = read_report_data(con, args.org or (), args.start, args.end)
    except MissingMarts as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data, source=duckdb_path.name), encoding="utf-8")
    print(out.resolve())
    return 0
