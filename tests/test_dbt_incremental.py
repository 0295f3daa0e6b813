"""Incremental models: a run after the loader restated the last days equals a full refresh.

A small simulated world (two organizations, 8 days of history) is loaded for one organization and
built. Then the clock moves a day and the loader runs for both: it re-reads the restated lookback
days of the first organization and backfills the second, which the models have never seen. An
incremental `dbt run` must leave every incremental model exactly as `dbt run --full-refresh` does,
to the last digit. Only the incremental models and their parents are built, to keep the test quick.
The same check runs on PostgreSQL in tests/postgres/test_engines_agree.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from dbt_support import with_demo_vars

from loader.pipeline import run_load
from loader.settings import LoaderSettings, Organization
from openai_simulator import Simulator, SimulatorConfig, serve

REPO_ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
HISTORY_DAYS = 8
# The selection that holds every incremental model (the others are tables or views).
SELECT = ("--select", "+fct_openai_cost_allocated", "+mart_cost_reconciliation", "int_spend_daily")


@dataclass(frozen=True)
class Warehouse:
    """A DuckDB file of this test's own and the environment dbt runs against it with."""

    duckdb_path: Path
    env: dict[str, str]

    @classmethod
    def create(cls, duckdb_path: Path, work_dir: Path) -> Warehouse:
        profiles_dir = work_dir / "profiles"
        profiles_dir.mkdir(exist_ok=True)
        shutil.copy(REPO_ROOT / "profiles.example.yml", profiles_dir / "profiles.yml")
        env = dict(os.environ) | {
            "OPENAI_FINOPS_DUCKDB": str(duckdb_path),
            "DBT_PROFILES_DIR": str(profiles_dir),
            "DBT_TARGET_PATH": str(work_dir / "target"),
            "DBT_LOG_PATH": str(work_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }
        return cls(duckdb_path, env)

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        dbt_bin = str(Path(sys.executable).with_name("dbt"))
        return subprocess.run(
            [dbt_bin, *with_demo_vars(args)], cwd=REPO_ROOT, env=self.env, text=True, capture_output=True
        )


def _incremental_models(warehouse: Warehouse) -> list[tuple[str, str]]:
    """(schema, name) of every incremental model the last dbt command ran, from its manifest."""
    manifest = json.loads((Path(warehouse.env["DBT_TARGET_PATH"]) / "manifest.json").read_text())
    run = json.loads((Path(warehouse.env["DBT_TARGET_PATH"]) / "run_results.json").read_text())
    ran = {result["unique_id"] for result in run["results"]}
    return sorted(
        (node["schema"], node["name"])
        for unique_id, node in manifest["nodes"].items()
        if unique_id in ran and node["config"]["materialized"] == "incremental"
    )


def _rows(duckdb_path: Path, relations: list[str]) -> dict[str, list[tuple]]:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return {
            relation: sorted(con.execute(f"select * from {relation}").fetchall(), key=repr)
            for relation in relations
        }


def test_incremental_run_after_restatement_and_a_new_organization_equals_full_refresh(tmp_path: Path) -> None:
    sim = Simulator(SimulatorConfig(seed=7, now=NOW, history_days=HISTORY_DAYS))
    warehouse = Warehouse.create(tmp_path / "warehouse.duckdb", tmp_path)
    work_dir = tmp_path
    orgs = tuple(Organization(org.org_id, org.org_id, org.admin_key) for org in sim.organizations)
    assert len(orgs) >= 2
    with serve(sim) as server:
        settings = LoaderSettings(
            organizations=orgs[:1],
            base_url=server.base_url,
            duckdb_path=warehouse.duckdb_path,
            pipelines_dir=work_dir / "pipelines",
            now=sim.now,
            backfill_days=HISTORY_DAYS + 2,
        )
        assert run_load(settings).ok
        first = warehouse.dbt(
            "build",
            *SELECT,
            "--exclude-resource-type",
            "test",
            "--exclude-resource-type",
            "unit_test",
        )
        assert first.returncode == 0, first.stdout[-4000:]
        models = _incremental_models(warehouse)
        names = {name for _, name in models}
        assert {
            "fct_openai_usage",
            "fct_openai_cost",
            "fct_openai_cost_allocated",
            "mart_cost_reconciliation",
            "int_spend_daily",
        } <= names, names
        # A day later the loader re-reads the lookback window (restated by the simulator) and
        # backfills an organization the models have not seen yet.
        sim.advance(days=1)
        assert run_load(replace(settings, organizations=orgs, now=sim.now)).ok
    relations = [f"{schema}.{name}" for schema, name in models]
    incremental_run = warehouse.dbt("run", *SELECT)
    assert incremental_run.returncode == 0, incremental_run.stdout[-4000:]
    incremental = _rows(warehouse.duckdb_path, relations)
    full_path = work_dir / "full.duckdb"
    shutil.copy(warehouse.duckdb_path, full_path)
    full_warehouse = Warehouse(full_path, warehouse.env | {"OPENAI_FINOPS_DUCKDB": str(full_path)})
    full_run = full_warehouse.dbt("run", "--full-refresh", *SELECT)
    assert full_run.returncode == 0, full_run.stdout[-4000:]
    full = _rows(full_path, relations)
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        new_org_days = con.execute(
            'select count(distinct "x_ChargeDate") from marts.fct_openai_cost where "BillingAccountId" = ?',
            [orgs[1].org_id],
        ).fetchone()[0]
    assert new_org_days >= HISTORY_DAYS, "the new organization's history was not picked up"
    for relation in relations:
        assert incremental[relation], f"{relation} is empty: nothing was compared"
        only_incremental = [row for row in incremental[relation] if row not in full[relation]][:3]
        only_full = [row for row in full[relation] if row not in incremental[relation]][:3]
        assert incremental[relation] == full[relation], (
            f"{relation}: incremental run differs from --full-refresh\n"
            f"only incremental: {only_incremental}\nonly full refresh: {only_full}"
        )


# More than a score reaches back (8 weeks of baseline, a 28-day window) plus the lookback: an
# incremental run then reads only part of int_spend_daily.
ANOMALY_HISTORY_DAYS = 100
ANOMALY_SELECT = ("--select", "+mart_spend_anomalies")
ANOMALY_STAGES = (
    "int_spend_anomaly_scores",
    "int_spend_anomaly_flags",
    "mart_spend_anomaly_drivers",
    "mart_spend_anomalies",
)
STRICTER = '{"anomaly_score_threshold": 5}'


def _anomalies(duckdb_path: Path) -> dict[str, list[tuple]]:
    return _rows(
        duckdb_path,
        [
            "intermediate.int_spend_daily",
            "intermediate.int_spend_anomaly_scores",
            "intermediate.int_spend_anomaly_flags",
            "marts.mart_spend_anomaly_drivers",
            "marts.mart_spend_anomalies",
        ],
    )


def _scored(duckdb_path: Path) -> dict[str, tuple[date, date, int, list[str]]]:
    """Per organization: first and last scored day, rows, and the settings keys of its rows."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select org_id, min(spend_date), max(spend_date), count(*), list(distinct settings_key) "
            "from intermediate.int_spend_anomaly_scores group by org_id order by org_id"
        ).fetchall()
    return {org: (first, last, count, sorted(keys)) for org, first, last, count, keys in rows}


def test_anomaly_scores_rescore_only_changed_days_and_equal_full_refresh(tmp_path: Path) -> None:
    sim = Simulator(SimulatorConfig(seed=7, now=NOW, history_days=ANOMALY_HISTORY_DAYS))
    warehouse = Warehouse.create(tmp_path / "warehouse.duckdb", tmp_path)
    orgs = tuple(Organization(org.org_id, org.org_id, org.admin_key) for org in sim.organizations)
    with serve(sim) as server:
        settings = LoaderSettings(
            organizations=orgs,
            base_url=server.base_url,
            duckdb_path=warehouse.duckdb_path,
            pipelines_dir=tmp_path / "pipelines",
            now=sim.now,
            backfill_days=ANOMALY_HISTORY_DAYS,
        )
        assert run_load(settings).ok
        without_tests = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
        history = warehouse.dbt("build", *ANOMALY_SELECT, *without_tests)
        assert history.returncode == 0, history.stdout[-4000:]
        scored_before = _scored(warehouse.duckdb_path)
        sim.advance(days=1)
        assert run_load(replace(settings, now=sim.now)).ok
    daily = warehouse.dbt("run", *ANOMALY_SELECT)
    assert daily.returncode == 0, daily.stdout[-4000:]
    incremental = _anomalies(warehouse.duckdb_path)
    scored_after = _scored(warehouse.duckdb_path)

    # The daily run rescored from the lookback before the latest scored day on: literal dates.
    target = Path(warehouse.env["DBT_TARGET_PATH"])
    compiled = next(target.glob("compiled/**/int_spend_anomaly_scores.sql")).read_text()
    first_rescored = min(last for _, last, _, _ in scored_before.values()) - timedelta(days=3)
    assert f"'{first_rescored.isoformat()}'" in compiled, compiled[:2000]
    assert set(scored_after) == set(scored_before) == {org.org_id for org in sim.organizations}
    for org, (first, last, count, keys) in scored_after.items():
        first_before, last_before, count_before, keys_before = scored_before[org]
        assert (first, last) == (first_before, last_before + timedelta(days=1))
        assert count > count_before and len(keys) == 1 and keys == keys_before

    full_path = tmp_path / "full.duckdb"
    shutil.copy(warehouse.duckdb_path, full_path)
    full_warehouse = Warehouse(full_path, warehouse.env | {"OPENAI_FINOPS_DUCKDB": str(full_path)})
    full_run = full_warehouse.dbt("run", "--full-refresh", "--select", "int_spend_daily", *ANOMALY_STAGES)
    assert full_run.returncode == 0, full_run.stdout[-4000:]
    assert incremental == _anomalies(full_path)
    flags = len(incremental["marts.mart_spend_anomalies"])
    assert flags > 0, "the simulated organizations have anomalies"

    # Other settings: the rows carry the old key, so the next run rescores every day, visibly.
    stricter = warehouse.dbt("run", "--select", *ANOMALY_STAGES, "--vars", STRICTER)
    assert stricter.returncode == 0, stricter.stdout[-4000:]
    rescored = _scored(warehouse.duckdb_path)
    assert {org: (first, last, count) for org, (first, last, count, _) in rescored.items()} == {
        org: (first, last, count) for org, (first, last, count, _) in scored_after.items()
    }
    assert all(len(keys) == 1 and keys != scored_after[org][3] for org, (*_, keys) in rescored.items())
    stricter_full = full_warehouse.dbt(
        "run", "--full-refresh", "--select", *ANOMALY_STAGES, "--vars", STRICTER
    )
    assert stricter_full.returncode == 0, stricter_full.stdout[-4000:]
    assert _anomalies(warehouse.duckdb_path) == _anomalies(full_path)
    assert len(_anomalies(full_path)["marts.mart_spend_anomalies"]) < flags, "a higher threshold flags less"
