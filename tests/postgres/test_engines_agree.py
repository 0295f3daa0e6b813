"""DuckDB and PostgreSQL give the same answers.

One simulated organization set (fixed seed, fixed clock, 45 days of history so the anomaly mart
has its baseline) is loaded by the loader into a DuckDB file and into a PostgreSQL database of its
own, and `dbt build` runs on both (every model, seed, data test and unit test). The marts are then
compared row for row, money to the cent. Then the clock moves a day, the loader re-reads the
restated days into both, an incremental `dbt run` follows, and on each engine the result must equal
a `--full-refresh` run.

Needs a server: `scripts/test_postgres.sh` starts one and runs `pytest -m postgres`. Without
`OPENAI_FINOPS_PG_HOST` these tests fail rather than skip, so a missing server is never a pass.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_support import with_demo_vars
from postgres_support import pg_admin, pg_connect, pg_settings
from surface_support import Browser, webhook_receiver

from loader.pipeline import run_load
from loader.run_log import record_run
from loader.settings import LoaderSettings, Organization
from openai_simulator import Simulator, SimulatorConfig, serve

pytestmark = pytest.mark.postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
HISTORY_DAYS = 45
# A database of this run's own: concurrent runs on one server never drop each other's.
TEST_DATABASE = f"openai_finops_engines_test_{os.getpid()}"
# Every mart a FinOps team reads; the facts, allocation and reconciliation are incremental models.
MARTS = (
    "fct_openai_cost",
    "fct_openai_cost_allocated",
    "fct_openai_usage",
    "mart_cost_reconciliation",
    "mart_budget_status",
    "mart_budget_daily",
    "mart_spend_anomalies",
)
CENT = Decimal("0.01")
NOISE = Decimal("1e-9")


@dataclass(frozen=True)
class Engine:
    target: str
    env: dict[str, str]

    def dbt(self, *args: str) -> subprocess.Popen[str]:
        dbt_bin = str(Path(sys.executable).with_name("dbt"))
        return subprocess.Popen(
            [dbt_bin, *with_demo_vars(args), "--target", self.target],
            cwd=REPO_ROOT,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )


def _wait_all(*runs: tuple[str, subprocess.Popen[str]]) -> None:
    failures = []
    for label, process in runs:
        output, _ = process.communicate()
        if process.returncode != 0:
            failures.append(f"{label} failed:\n{output[-8000:]}")
    assert not failures, "\n\n".join(failures)


@dataclass
class Warehouses:
    sim: Simulator
    base_url: str
    duckdb_path: Path
    pg: dict[str, str]
    duck: Engine
    postgres: Engine
    work_dir: Path

    def load(self) -> None:
        """One loader run into each engine, at the simulator's current clock."""
        orgs = tuple(Organization(org.org_id, org.org_id, org.admin_key) for org in self.sim.organizations)
        for destination in ("duckdb", "postgres"):
            settings = LoaderSettings(
                organizations=orgs,
                base_url=self.base_url,
                destination=destination,
                # Parquet into PostgreSQL needs the ADBC driver; insert statements need nothing.
                prefer_parquet=destination == "duckdb",
                duckdb_path=self.duckdb_path,
                pipelines_dir=self.work_dir / f"pipelines_{destination}",
                now=self.sim.now,
                backfill_days=HISTORY_DAYS,
            )
            result = run_load(settings)
            assert result.ok and result.loaded, f"{destination} load failed: {result.report.failures}"

    def dbt_both(self, *args: str, duckdb_extra: tuple[str, ...] = ()) -> None:
        _wait_all(
            ("duckdb: dbt " + " ".join(args), self.duck.dbt(*args, *duckdb_extra)),
            ("postgres: dbt " + " ".join(args), self.postgres.dbt(*args)),
        )

    def duckdb_rows(self, table: str) -> tuple[list[str], list[tuple]]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            cursor = con.execute(f"select * from marts.{table}")
            return [column[0] for column in cursor.description], cursor.fetchall()

    def postgres_rows(self, table: str) -> tuple[list[str], list[tuple]]:
        con = pg_connect(self.pg, TEST_DATABASE)
        try:
            with con.cursor() as cursor:
                cursor.execute(f"select * from marts.{table}")
                return [column[0] for column in cursor.description], cursor.fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouses]:
    pg = pg_settings()
    pg_admin(pg, f"drop database if exists {TEST_DATABASE} with (force)", f"create database {TEST_DATABASE}")
    work_dir = tmp_path_factory.mktemp("engines")
    profiles_dir = work_dir / "profiles"
    profiles_dir.mkdir()
    shutil.copy(REPO_ROOT / "profiles.example.yml", profiles_dir / "profiles.yml")
    duckdb_path = work_dir / "openai_finops.duckdb"
    base_env = dict(os.environ)
    base_env.update(
        OPENAI_FINOPS_DUCKDB=str(duckdb_path),
        OPENAI_FINOPS_PG_DATABASE=TEST_DATABASE,
        DBT_PROFILES_DIR=str(profiles_dir),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    engines = {
        target: Engine(
            target,
            base_env
            | {
                "DBT_TARGET_PATH": str(work_dir / f"target_{target}"),
                "DBT_LOG_PATH": str(work_dir / f"logs_{target}"),
            },
        )
        for target in ("duckdb", "postgres")
    }
    # The loader reads PostgreSQL credentials the usual dlt way; trust auth ignores the password.
    credentials = (
        f"postgresql://{pg['user']}:{pg['password'] or 'unused'}@{pg['host']}:{pg['port']}/{TEST_DATABASE}"
    )
    names = ("DESTINATION__POSTGRES__CREDENTIALS", "RUNTIME__DLTHUB_TELEMETRY")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = credentials
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    sim = Simulator(SimulatorConfig(seed=7, now=NOW, history_days=HISTORY_DAYS))
    try:
        with serve(sim) as server:
            yield Warehouses(
                sim, server.base_url, duckdb_path, pg, engines["duckdb"], engines["postgres"], work_dir
            )
    finally:
        pg_admin(pg, f"drop database if exists {TEST_DATABASE} with (force)")
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _to_cent(value: Decimal) -> Decimal:
    """To the cent, after dropping the last digits of double precision: DuckDB divides decimals in
    double precision, so an exact 0.075 unit price can arrive as 0.074999999999999997."""
    return value.quantize(NOISE, rounding=ROUND_HALF_EVEN).quantize(CENT, rounding=ROUND_HALF_EVEN) + 0


def _normalize(value: Any, exact: bool = False) -> Any:
    if exact and isinstance(value, Decimal | float | int):
        return value
    if isinstance(value, Decimal | float) or (isinstance(value, int) and not isinstance(value, bool)):
        return _to_cent(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def _table(columns: list[str], rows: list[tuple], exact: bool = False) -> tuple[list[str], list[tuple]]:
    """Columns by name, rows sorted; numbers to the cent unless `exact` (same engine, same types)."""
    order = sorted(range(len(columns)), key=lambda index: columns[index].lower())
    names = [columns[index].lower() for index in order]
    normalized = [tuple(_normalize(row[index], exact) for index in order) for row in rows]
    return names, sorted(normalized, key=repr)


def _differences(left: list[tuple], right: list[tuple], names: list[str]) -> str:
    only_left = sorted(set(left) - set(right), key=repr)[:3]
    only_right = sorted(set(right) - set(left), key=repr)[:3]
    lines = []
    for label, rows in (("only in duckdb", only_left), ("only in postgres", only_right)):
        for row in rows:
            pairs = zip(names, row, strict=True)
            lines.append(f"{label}: " + ", ".join(f"{name}={value!r}" for name, value in pairs))
    return "\n".join(lines)


def _assert_engines_agree(warehouses: Warehouses, table: str) -> None:
    duck_names, duck_rows = _table(*warehouses.duckdb_rows(table))
    pg_names, pg_rows = _table(*warehouses.postgres_rows(table))
    assert duck_names == pg_names, f"{table}: columns differ"
    assert duck_rows, f"{table} is empty: nothing was compared"
    counts = f"{len(duck_rows)} rows on duckdb, {len(pg_rows)} on postgres"
    assert len(duck_rows) == len(pg_rows), f"{table}: {counts}"
    assert duck_rows == pg_rows, f"{table} differs:\n{_differences(duck_rows, pg_rows, duck_names)}"


@pytest.fixture(scope="module")
def built(warehouses: Warehouses) -> Warehouses:
    warehouses.load()
    # The whole project on PostgreSQL: every model, seed, data test and unit test must pass. The
    # DuckDB suite already runs DuckDB's tests, so here DuckDB only builds (and leaves the CPU to
    # PostgreSQL, which builds at the same time).
    warehouses.dbt_both(
        "build", duckdb_extra=("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    )
    return warehouses


@pytest.mark.parametrize("table", MARTS)
def test_marts_agree_row_for_row(built: Warehouses, table: str) -> None:
    _assert_engines_agree(built, table)


def _json_differences(left: Any, right: Any, path: str) -> list[str]:
    """Where two JSON documents differ beyond a cent (10,000 micro-dollars) or 1e-9 of a score."""
    if isinstance(left, dict) and isinstance(right, dict):
        if sorted(left) != sorted(right):
            return [f"{path}: keys {sorted(left)} != {sorted(right)}"]
        return [d for key in left for d in _json_differences(left[key], right[key], f"{path}.{key}")]
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{path}: {len(left)} items != {len(right)}"]
        return [
            d
            for i, (a, b) in enumerate(zip(left, right, strict=True))
            for d in _json_differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(left, bool) or isinstance(right, bool) or not isinstance(left, int | float):
        return [] if left == right else [f"{path}: {left!r} != {right!r}"]
    tolerance = 10_000 if isinstance(left, int) and isinstance(right, int) else 1e-9
    return [] if abs(left - right) <= tolerance else [f"{path}: {left!r} != {right!r}"]


def _surface(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m loader <args> --target <engine>`: a surface reading that engine's marts."""
    return subprocess.run(
        [sys.executable, "-m", "loader", *args, "--target", engine.target],
        cwd=REPO_ROOT,
        env=engine.env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_summary_lines_are_identical_on_both_engines(built: Warehouses) -> None:
    duck, postgres = _surface(built.duck, "summary"), _surface(built.postgres, "summary")
    assert duck.returncode == 0, duck.stderr
    assert postgres.returncode == 0, postgres.stderr
    assert postgres.stdout.startswith("OpenAI spend 2026-03-04 to 2026-03-10 (UTC, last 7 days loaded): $")
    assert "Spend by project:" in postgres.stdout and "Latest spend anomalies" in postgres.stdout
    assert postgres.stdout.splitlines() == duck.stdout.splitlines()


def test_report_from_postgres_renders_in_chromium_and_equals_duckdb(built: Warehouses) -> None:
    browser = Browser(built.work_dir / "chromium-profile")
    pages = {}
    for engine in (built.duck, built.postgres):
        out = built.work_dir / f"report_{engine.target}.html"
        done = _surface(engine, "report", "--out", str(out))
        assert done.returncode == 0, done.stderr
        page = browser.open(out.as_uri())
        assert page.console == [] and page.body.get("data-rendered") == "true", engine.target
        pages[engine.target] = page
    shown = {engine: dict(page.text) for engine, page in pages.items()}
    data = {engine: json.loads(text.pop("report-data")) for engine, text in shown.items()}
    assert data["postgres"]["spend"] and data["postgres"]["anomalies"] and data["postgres"]["budgets"]
    # Every figure the page shows, as it shows it; the data behind it to the cent (money travels in
    # micro-dollars, and the marts agree to the cent: DuckDB divides decimals in double precision).
    assert shown["postgres"] == shown["duckdb"]
    differences = _json_differences(data["duckdb"], data["postgres"], "")
    assert differences == [], "\n".join(differences[:10])
    con = pg_connect(built.pg, TEST_DATABASE)
    try:
        with con.cursor() as cursor:
            cursor.execute('select sum("BilledCost") from marts.fct_openai_cost')
            (total,) = cursor.fetchone()
    finally:
        con.close()
    assert pages["postgres"].text["total-spend"] == f"${total.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def test_alerts_on_postgres_are_delivered_once_across_two_runs(built: Warehouses) -> None:
    # The run log, written by the loader's own writer into each engine's warehouse.
    for engine in ("duckdb", "postgres"):
        settings = LoaderSettings(
            organizations=(),
            destination=engine,
            duckdb_path=built.duckdb_path,
            pipelines_dir=built.work_dir / f"pipelines_{engine}",
        )
        record_run(
            settings,
            run_id="run-engines",
            started_at=NOW,
            finished_at=NOW,
            status="succeeded",
            organizations=[org.org_id for org in built.sim.organizations],
            rows_by_table={"costs": 100},
        )
    delivered = {}
    for engine in (built.duck, built.postgres):
        with webhook_receiver() as (url, received):
            config = built.work_dir / f"alerts_{engine.target}.toml"
            config.write_text(
                f'[alerts]\n[alerts.channels.hook]\ntype = "webhook"\nurl = "{url}"\n'
                '[[alerts.routes]]\nchannels = ["hook"]\n',
                encoding="utf-8",
            )
            command = ["alerts", "--config", str(config), "--today", str(NOW.date())]
            engine_env = Engine(engine.target, engine.env | {"ALERTS__CHANNELS__HOOK__SECRET": "engines"})
            first, second = _surface(engine_env, *command), _surface(engine_env, *command)
            assert first.returncode == 0, first.stderr
            assert second.returncode == 0, second.stderr
            assert second.stdout.endswith("sent 0, failed 0\n")
            delivered[engine.target] = sorted(json.loads(body)["alert_id"] for _, body in received)
    con = pg_connect(built.pg, TEST_DATABASE)
    try:
        with con.cursor() as cursor:
            cursor.execute(
                """select
                       (select count(*) from surfaces.rpt_spend_anomalies
                        where series_level in ('org', 'project') and spend_date >= date '2026-03-03')
                     + (select count(*) from surfaces.rpt_budget_alerts)
                     + (select count(*) from openai_raw.loader_runs)"""
            )
            (expected,) = cursor.fetchone()
            cursor.execute("select count(*), min(status), max(status) from alerts.alert_log")
            logged = cursor.fetchone()
    finally:
        con.close()
    assert expected > 1
    assert len(delivered["postgres"]) == expected
    assert logged == (expected, "sent", "sent")
    assert delivered["postgres"] == delivered["duckdb"]


def test_incremental_run_after_restatement_equals_full_refresh(built: Warehouses) -> None:
    built.sim.advance(days=1)
    # Re-reads the lookback window, which the simulator has restated, plus the new day.
    built.load()
    built.dbt_both("run")
    incremental = {
        engine: {table: _table(*rows(table), exact=True) for table in MARTS}
        for engine, rows in (("duckdb", built.duckdb_rows), ("postgres", built.postgres_rows))
    }
    built.dbt_both("run", "--full-refresh")
    for engine, rows in (("duckdb", built.duckdb_rows), ("postgres", built.postgres_rows)):
        for table in MARTS:
            names, full = _table(*rows(table), exact=True)
            assert incremental[engine][table] == (names, full), (
                f"{engine} {table}: incremental run differs from full refresh:\n"
                + _differences(incremental[engine][table][1], full, names)
            )
    for table in MARTS:
        _assert_engines_agree(built, table)
