"""`python -m loader alerts`: send what is new in the marts to the configured channels.

Exit codes: 0 nothing failed; 1 a delivery failed (it stays pending and is retried next run);
2 bad flags or configuration.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from loader.alerts.config import AlertsConfigError, load_config
from loader.command_line import Parser, duckdb_path_from_env, utc_date

REPO_ROOT = Path(__file__).resolve().parents[2]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m loader alerts",
        description="Send new spend anomalies, budget threshold crossings and load outcomes to the "
        "channels in the [alerts] configuration; each alert once per channel.",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send and record nothing"
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        default=os.environ.get("OPENAI_FINOPS_ALERTS_CONFIG") or None,
        help="TOML file with an [alerts] table (default: OPENAI_FINOPS_ALERTS_CONFIG, else dlt config)",
    )
    parser.add_argument(
        "--lookback-days", type=int, metavar="N", help="alert on anomalies and loads of the last N days"
    )
    parser.add_argument("--today", type=utc_date, metavar="YYYY-MM-DD", help="the UTC day to look back from")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--quiet", action="store_true", help="only errors")
    verbosity.add_argument("--verbose", action="store_true", help="debug output")
    return parser


def _configure_logging(quiet: bool, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("loader.alerts")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.quiet, args.verbose)
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    if "DLT_PROJECT_DIR" not in os.environ and not Path(".dlt").is_dir() and (REPO_ROOT / ".dlt").is_dir():
        os.environ["DLT_PROJECT_DIR"] = str(REPO_ROOT)
    try:
        config = load_config(args.config)
    except AlertsConfigError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    if args.lookback_days is not None:
        if args.lookback_days < 0:
            parser.error("--lookback-days must be 0 or more")
        config = dataclasses.replace(config, lookback_days=args.lookback_days)
    if not config.routes:
        print(
            f"{parser.prog}: error: no [[alerts.routes]] configured: nothing would be sent", file=sys.stderr
        )
        return 2
    duckdb_path = duckdb_path_from_env()
    if not duckdb_path.exists():
        print(
            f"{parser.prog}: error: no warehouse at {duckdb_path}: run the loader and dbt first",
            file=sys.stderr,
        )
        return 2

    from loader.alerts.run import dry_run, run_alerts

    if args.dry_run:
        print(dry_run(config, duckdb_path, args.today))
        return 0
    summary = run_alerts(config, duckdb_path, args.today)
    if not args.quiet:
        print(
            f"{summary.found} alerts in the marts; sent {len(summary.sent)}, failed {len(summary.failed)}"
            + (" (pending, retried next run)" if summary.failed else "")
        )
    return 1 if summary.failed else 0
