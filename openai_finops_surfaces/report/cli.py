"""`python -m loader report`: write the spend report, one self-contained HTML file, and print its path.

Exit codes: 0 written; 1 no warehouse or marts yet, or the warehouse failed; 2 bad flags,
configuration or output path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from openai_finops_surfaces.report.data import MissingMarts, read_report_data
from openai_finops_surfaces.report.html import render_html
from openai_finops_surfaces.warehouse import (
    NoWarehouse,
    Target,
    Warehouse,
    WarehouseConfigError,
    WarehouseError,
    target_from_profile,
)

PROG = "python -m loader report"


def default_out(target: Target) -> Path:
    if target.path is not None:
        return target.path.with_name(f"{target.path.stem}_report.html")
    return Path("warehouse") / f"{target.dbname}_report.html"


def run(args: argparse.Namespace) -> int:
    if args.start and args.end and args.start > args.end:
        print(f"{PROG}: error: --start {args.start} is after --end {args.end}", file=sys.stderr)
        return 2
    try:
        target = target_from_profile(args.target, args.profiles_dir)
        with Warehouse.open(target, read_only=True) as warehouse:
            data = read_report_data(warehouse, args.org or (), args.start, args.end)
    except (NoWarehouse, MissingMarts, WarehouseError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except (ValueError, WarehouseConfigError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    out = args.out or default_out(target)
    source = target.path.name if target.path is not None else target.label
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_html(data, source=source), encoding="utf-8")
    except OSError as error:
        print(f"{PROG}: error: cannot write {out}: {error.strerror or error} (choose --out)", file=sys.stderr)
        return 2
    print(out.resolve())
    return 0
