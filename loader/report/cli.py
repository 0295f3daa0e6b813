"""`python -m loader report`: write the spend report, one self-contained HTML file, and print its path.

Exit codes: 0 written; 1 no marts yet; 2 bad flags.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from loader.command_line import Parser, duckdb_path_from_env, utc_date
from loader.report.data import MissingMarts, read_report_data
from loader.report.html import render_html

log = logging.getLogger("loader.report")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m loader report",
        description="Write the OpenAI spend report from the marts: one HTML file that needs no network.",
    )
    parser.add_argument(
        "--org", action="append", metavar="ORG", help="only this organization (id or name); repeatable"
    )
    parser.add_argument(
        "--start", type=utc_date, metavar="YYYY-MM-DD", help="first UTC day (default: all loaded)"
    )
    parser.add_argument(
        "--end", type=utc_date, metavar="YYYY-MM-DD", help="last UTC day, inclusive (default: latest)"
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
    duckdb_path = duckdb_path_from_env()
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
