"""`python -m loader`: load OpenAI usage, costs and org metadata into the warehouse.

Exit codes: 0 everything loaded; 1 a load or an organization failed; 2 bad flags, dates or config.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from loader.budget_periods import BUDGETS_SEED, DEMO_BUDGETS_SEED, budget_backfill_starts
from loader.command_line import DEFAULT_DUCKDB, DEMO_DUCKDB, Parser, duckdb_path_from_env, utc_date
from loader.endpoints import ALL_ENDPOINT_NAMES, parse_endpoint_names
from loader.settings import (
    BUCKET_WIDTHS,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_LOOKBACK_DAYS,
    DEMO_PIPELINE_NAME,
    PIPELINE_NAME,
    ConfigError,
    LoaderSettings,
    Organization,
    base_url_from_env,
    configured_organizations,
    pipelines_dir_from_env,
    retry_policy_from_config,
    select_organizations,
)

log = logging.getLogger("loader")
REPO_ROOT = Path(__file__).resolve().parent.parent


SUBCOMMANDS = """subcommands (each has its own --help):
  (none)    load usage, costs and names into the warehouse (the options above)
  alerts    send budget, anomaly and failed-load alerts once each (Slack, email, webhook)
  report    write the HTML spend report (budgets, anomalies, reconciliation) from the marts
  summary   print the marts' summary: spend by project and model, reconciliation, budgets, anomalies
  simulate  serve the simulated OpenAI organizations (the demo's data, the tests' double)

related commands:
  dbt build --vars '{demo: true}'   after --demo; without the var after a real load (shipped seeds)
  scripts/dbt.sh build              dbt, after checking that no loader holds the DuckDB file
"""
# Each subcommand's module and its main(argv); imported only when the subcommand is chosen.
SUBCOMMAND_MODULES = {
    "alerts": "loader.alerts",
    "report": "loader.report",
    "summary": "loader.marts_summary",
    "simulate": "openai_simulator.__main__",
}


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of days >= 0, got {text!r}")
    return value


def _endpoints(text: str) -> tuple[str, ...]:
    try:
        return parse_endpoint_names(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m loader",
        description=(
            "Load OpenAI Admin API usage (ten endpoints), costs and organization metadata into "
            f"the warehouse (DuckDB file from OPENAI_FINOPS_DUCKDB, default {DEFAULT_DUCKDB}), "
            "incrementally, for every configured organization."
        ),
        usage="python -m loader [alerts | report | summary | simulate] [options]",
        epilog=SUBCOMMANDS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the simulated OpenAI organizations on a free loopback port and load them into "
        f"a warehouse of their own (OPENAI_FINOPS_DUCKDB, default {DEMO_DUCKDB})",
    )
    parser.add_argument(
        "--org",
        action="append",
        metavar="ORG",
        help="load only this organization (configured name or org id); repeatable",
    )
    parser.add_argument(
        "--endpoints",
        type=_endpoints,
        metavar="A,B",
        help=f"comma-separated subset of: {', '.join(ALL_ENDPOINT_NAMES)} (default: all)",
    )
    parser.add_argument(
        "--start",
        type=utc_date,
        metavar="YYYY-MM-DD",
        help=f"first UTC day to (re)load; default: resume from the last loaded bucket minus the "
        f"lookback, or {DEFAULT_BACKFILL_DAYS} days back on the first run",
    )
    parser.add_argument(
        "--end", type=utc_date, metavar="YYYY-MM-DD", help="last UTC day to load, inclusive (default: now)"
    )
    parser.add_argument(
        "--bucket-width",
        choices=BUCKET_WIDTHS,
        default="1d",
        help="bucket width for the usage endpoints (costs are always 1d); default 1d",
    )
    parser.add_argument(
        "--lookback-days",
        type=_non_negative_int,
        default=DEFAULT_LOOKBACK_DAYS,
        metavar="N",
        help=f"days re-read before the last loaded bucket, as OpenAI restates recent data "
        f"(default {DEFAULT_LOOKBACK_DAYS}; keep equal to dbt's var lookback_days)",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop the selected raw tables and their loader state (all organizations), then reload",
    )
    parser.add_argument(
        "--destination",
        default="duckdb",
        help="dlt destination name (default duckdb); others take credentials from dlt config",
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--quiet", action="store_true", help="only errors (no progress, no summary)")
    verbosity.add_argument("--verbose", action="store_true", help="debug output: every page and retry")
    return parser


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at emit time (pytest and callers may swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _configure_logging(quiet: bool, verbose: bool) -> None:
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    logger = logging.getLogger("loader")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def _prepare_environment() -> None:
    # Telemetry off even if .dlt/config.toml is not found (e.g. run from another directory).
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    if "DLT_PROJECT_DIR" not in os.environ and not Path(".dlt").is_dir() and (REPO_ROOT / ".dlt").is_dir():
        os.environ["DLT_PROJECT_DIR"] = str(REPO_ROOT)


@contextlib.contextmanager
def _organizations_and_base_url(
    args: argparse.Namespace,
) -> Iterator[tuple[tuple[Organization, ...], str, object]]:
    """Configured organizations, or with --demo the simulated ones served on loopback."""
    if not args.demo:
        organizations = configured_organizations()
        if not organizations:
            raise ConfigError(
                "no organizations configured: set OPENAI_ADMIN_KEY, or add "
                "[sources.openai.organizations.<name>] admin_key to .dlt/secrets.toml"
            )
        yield select_organizations(organizations, args.org), base_url_from_env(), None
        return
    from openai_simulator import Simulator, SimulatorConfig, serve

    simulator = Simulator(SimulatorConfig())
    with serve(simulator) as server:
        organizations = tuple(
            Organization(name=spec.org_id, org_id=spec.org_id, admin_key=spec.admin_key, simulated=True)
            for spec in simulator.organizations
        )
        log.info("simulated organizations served at %s", server.base_url)
        yield select_organizations(organizations, args.org), server.base_url, simulator


def _record_run(
    settings: LoaderSettings, started_at: datetime, status: str, rows: dict[str, int], error: str | None
) -> None:
    """Write the run's outcome into its warehouse (loader/run_log.py); errors hold no keys."""
    from loader.run_log import record_run_or_warn

    record_run_or_warn(
        settings,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        status=status,
        organizations=[organization.org_id for organization in settings.organizations],
        rows_by_table=rows,
        error=error,
    )


def main(argv: Sequence[str] | None = None) -> int:
    # A subcommand's package is imported only when it is chosen: a scheduled load imports none.
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] and arguments[0] in SUBCOMMAND_MODULES:
        module = importlib.import_module(SUBCOMMAND_MODULES[arguments[0]])
        return int(module.main(arguments[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    _prepare_environment()
    _configure_logging(args.quiet, args.verbose)
    if args.full_refresh and args.org:
        parser.error("--full-refresh drops tables shared by all organizations; do not combine it with --org")

    from loader.pipeline import LoadFailed, run_load  # imported late: dlt reads the environment
    from loader.summary import format_summary

    started_at = datetime.now(UTC)
    settings: LoaderSettings | None = None
    try:
        with _organizations_and_base_url(args) as (organizations, base_url, simulator):
            settings = LoaderSettings(
                organizations=organizations,
                base_url=base_url,
                endpoints=args.endpoints or (),
                start=args.start,
                end=args.end,
                bucket_width=args.bucket_width,
                lookback_days=args.lookback_days,
                full_refresh=args.full_refresh,
                destination=args.destination,
                duckdb_path=duckdb_path_from_env(demo=args.demo),
                pipelines_dir=pipelines_dir_from_env(),
                pipeline_name=DEMO_PIPELINE_NAME if args.demo else PIPELINE_NAME,
                # The simulator has its own clock; load up to its "now", not the wall clock's.
                now=getattr(simulator, "now", None),
                retry=retry_policy_from_config(),
                costs_backfill_from=budget_backfill_starts(
                    (getattr(simulator, "now", None) or datetime.now(UTC)).date(),
                    DEMO_BUDGETS_SEED if args.demo else BUDGETS_SEED,
                ),
            )
            result = run_load(settings)
    except ConfigError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except LoadFailed as error:
        print(f"{parser.prog}: load failed: {error}", file=sys.stderr)
        if settings is not None:
            _record_run(settings, started_at, "failed", {}, str(error))
        return 1
    failures = "; ".join(f"{org} ({table}): {message}" for org, table, message in result.report.failures)
    status = "succeeded" if result.ok else ("partial" if result.loaded else "failed")
    _record_run(settings, started_at, status, result.rows_by_table, failures or None)
    if not args.quiet:
        print(format_summary(result, settings))
    if result.report.failures:
        for org, table, message in result.report.failures:
            print(f"{parser.prog}: {org} failed ({table}): {message}", file=sys.stderr)
        return 1
    return 0
