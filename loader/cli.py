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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn, TextIO

from loader.budget_periods import BUDGETS_SEED, DEMO_BUDGETS_SEED, budget_backfill_starts
from loader.endpoints import ALL_ENDPOINT_NAMES, parse_endpoint_names
from loader.settings import (
    BUCKET_WIDTHS,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_DUCKDB,
    DEFAULT_LOOKBACK_DAYS,
    DEMO_DUCKDB,
    DEMO_PIPELINE_NAME,
    PIPELINE_NAME,
    ConfigError,
    LoaderSettings,
    Organization,
    base_url_from_env,
    configured_organizations,
    duckdb_path_from_env,
    pipelines_dir_from_env,
    retry_policy_from_config,
    select_organizations,
)

log = logging.getLogger("loader")
REPO_ROOT = Path(__file__).resolve().parent.parent


# Each subcommand other than `load`: the module whose run(args) does it, imported only when chosen,
# so a scheduled load imports none of them (tests/loader/test_load_imports.py).
SUBCOMMAND_MODULES = {
    "alerts": "openai_finops_surfaces.alerts.cli",
    "report": "openai_finops_surfaces.report.cli",
    "summary": "openai_finops_surfaces.summary",
    "simulate": "openai_simulator.__main__",
}
RELATED_COMMANDS = """load is the default: `python -m loader [options]` is `python -m loader load [options]`.
alerts, report and summary read the warehouse of the dbt profile's target (profiles.yml; --target).

related commands:
  dbt build --vars '{demo: true}'   after --demo; without the var after a real load (shipped seeds)
  scripts/dbt.sh build              dbt, after checking that no loader holds the DuckDB file
"""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2): the message is what the user needs, not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def utc_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}, expected YYYY-MM-DD (UTC)") from None


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of days >= 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of days >= 1, got {text!r}")
    return value


def _endpoints(text: str) -> tuple[str, ...]:
    try:
        return parse_endpoint_names(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _day_range(parser: argparse.ArgumentParser, start: str, end: str) -> None:
    parser.add_argument("--start", type=utc_date, metavar="YYYY-MM-DD", help=start)
    parser.add_argument("--end", type=utc_date, metavar="YYYY-MM-DD", help=end)


def _verbosity(parser: argparse.ArgumentParser, quiet: str, verbose: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quiet", action="store_true", help=quiet)
    group.add_argument("--verbose", action="store_true", help=verbose)


def _load_options() -> argparse.ArgumentParser:
    parser = Parser(add_help=False)
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
    _day_range(
        parser,
        f"first UTC day to (re)load; default: resume from the last loaded bucket minus the lookback, "
        f"or {DEFAULT_BACKFILL_DAYS} days back on the first run",
        "last UTC day to load, inclusive (default: now)",
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
    _verbosity(parser, "only errors (no progress, no summary)", "debug output: every page and retry")
    return parser


def _warehouse_options() -> argparse.ArgumentParser:
    parser = Parser(add_help=False)
    parser.add_argument(
        "--target",
        metavar="NAME",
        help="the dbt target whose warehouse holds the marts (default: DBT_TARGET, else the profile's)",
    )
    parser.add_argument(
        "--profiles-dir",
        type=Path,
        metavar="DIR",
        help="where profiles.yml is (default: DBT_PROFILES_DIR, else this directory, else ~/.dbt)",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    load_options = _load_options()
    parser = Parser(
        prog="python -m loader",
        description=(
            "Load OpenAI Admin API usage (ten endpoints), costs and organization metadata into "
            f"the warehouse (DuckDB file from OPENAI_FINOPS_DUCKDB, default {DEFAULT_DUCKDB}), "
            "incrementally, for every configured organization; and read what dbt built from it."
        ),
        parents=[load_options],
        epilog=RELATED_COMMANDS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="subcommands", parser_class=Parser
    )
    # The same options again after `load`; unset ones keep what was given before it.
    after_load = _load_options()
    for action in after_load._actions:
        action.default = argparse.SUPPRESS
    commands.add_parser(
        "load",
        parents=[after_load],
        help="load usage, costs and names into the warehouse (the default; the options above)",
        description="Load usage, costs and names into the warehouse.",
    )
    warehouse = _warehouse_options()
    alerts = commands.add_parser(
        "alerts",
        parents=[warehouse],
        help="send budget, anomaly and failed-load alerts once each (Slack, email, webhook)",
        description="Send new spend anomalies, budget threshold crossings and load outcomes to the "
        "channels in the [alerts] configuration; each alert once per channel. Exit 1 when a "
        "delivery failed (it stays pending and is retried next run), 2 on bad flags or configuration.",
    )
    alerts.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send and record nothing"
    )
    alerts.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        default=os.environ.get("OPENAI_FINOPS_ALERTS_CONFIG") or None,
        help="TOML file with an [alerts] table (default: OPENAI_FINOPS_ALERTS_CONFIG, else dlt config)",
    )
    alerts.add_argument(
        "--lookback-days",
        type=_non_negative_int,
        metavar="N",
        help="alert on anomalies and loads of the last N days",
    )
    alerts.add_argument("--today", type=utc_date, metavar="YYYY-MM-DD", help="the UTC day to look back from")
    _verbosity(alerts, "only errors", "debug output: every alert and delivery")
    report = commands.add_parser(
        "report",
        parents=[warehouse],
        help="write the HTML spend report (budgets, anomalies, reconciliation) from the marts",
        description="Write the OpenAI spend report from the marts: one HTML file that needs no network. "
        "Exit 1 when there are no marts yet, 2 on bad flags.",
    )
    report.add_argument(
        "--org", action="append", metavar="ORG", help="only this organization (id or name); repeatable"
    )
    _day_range(report, "first UTC day (default: all loaded)", "last UTC day, inclusive (default: latest)")
    report.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="where to write the file (default: <warehouse>_report.html next to a DuckDB file, "
        "warehouse/<database>_report.html for PostgreSQL)",
    )
    summary = commands.add_parser(
        "summary",
        parents=[warehouse],
        help="print the marts' summary: spend by project and model, reconciliation, budgets, anomalies",
        description="Print a short summary of the marts: spend by project and model for the latest "
        "loaded days, the reconciliation by status, budgets at risk, the latest anomalies.",
    )
    summary.add_argument(
        "--days",
        type=_positive_int,
        default=7,
        metavar="N",
        help="how many of the latest loaded days (default 7)",
    )
    commands.add_parser(
        "simulate",
        add_help=False,
        help="serve the simulated OpenAI organizations (the demo's data, the tests' double); "
        "its options: python -m loader simulate --help",
    )
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
    # dlt reads .dlt/ (config.toml: telemetry off, the loader's settings; the alerts' [alerts])
    # from the working directory; run from elsewhere, the repository's.
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
    arguments = list(sys.argv[1:] if argv is None else argv)
    _prepare_environment()
    if arguments[:1] == ["simulate"]:
        # The simulator parses its own options (python -m openai_simulator takes the same).
        simulator = importlib.import_module(SUBCOMMAND_MODULES["simulate"])
        return int(simulator.main(arguments[1:], prog="python -m loader simulate") or 0)
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command not in (None, "load") and arguments[0] != args.command:
        # Options before another subcommand would be the load's, and silently unused.
        parser.error(f"put options after the subcommand: python -m loader {args.command} [options]")
    if args.command in SUBCOMMAND_MODULES:
        return int(importlib.import_module(SUBCOMMAND_MODULES[args.command]).run(args) or 0)
    _configure_logging(args.quiet, args.verbose)
    if args.full_refresh and args.org:
        parser.error("--full-refresh drops tables shared by all organizations; do not combine it with --org")

    from loader.pipeline import LoadFailed, run_load  # imported late: dlt reads the environment
    from loader.progress import progress_for
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
            # A live display per organization and stream when stdout is a terminal; else nothing
            # beyond the log lines (cron, CI, pipes), as with --quiet.
            with progress_for(args.quiet) as progress:
                result = run_load(settings, progress)
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
