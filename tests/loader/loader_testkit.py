"""Helpers shared by the loader tests: a small simulated world, settings, table snapshots."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import requests

from loader.endpoints import COSTS_BY_KEY_GROUP_BY, COSTS_ENDPOINT, USAGE_ENDPOINTS, USAGE_PAGE_LIMITS
from loader.settings import LoaderSettings, Organization, RetryPolicy
from openai_simulator import Simulator, SimulatorConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
HISTORY_DAYS = 12
BACKFILL_DAYS = 14
# Real backoff shape, sleeps scaled down a thousandfold so fault tests stay fast.
FAST_RETRY = RetryPolicy(max_attempts=10, backoff_base=0.5, backoff_cap=4.0, sleep_scale=0.001)
ALL_TABLES = {
    *(endpoint.table for endpoint in USAGE_ENDPOINTS),
    "costs",
    "projects",
    "users",
    "project_api_keys",
    "project_service_accounts",
}


def new_sim(now: datetime | None = NOW, **config: Any) -> Simulator:
    if now is not None:
        config["now"] = now
    return Simulator(SimulatorConfig(seed=7, history_days=HISTORY_DAYS, **config))


def organizations(sim: Simulator) -> tuple[Organization, ...]:
    return tuple(Organization(spec.org_id, spec.org_id, spec.admin_key) for spec in sim.organizations)


def settings_for(sim: Simulator, base_url: str, workdir: Path, **overrides: Any) -> LoaderSettings:
    values: dict[str, Any] = {
        "organizations": organizations(sim),
        "base_url": base_url,
        "duckdb_path": workdir / "warehouse.duckdb",
        "pipelines_dir": workdir / "pipelines",
        "now": sim.now,
        "backfill_days": BACKFILL_DAYS,
        "retry": FAST_RETRY,
    }
    values.update(overrides)
    return LoaderSettings(**values)


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows, sorted, without dlt's per-load bookkeeping columns.

    The run log `loader_runs` and `organizations.loaded_at` are left out: they record when each run
    happened, not what it loaded.
    """
    tables: dict[str, list[tuple]] = {}
    if not db_path.exists():
        return tables
    with duckdb.connect(str(db_path), read_only=True) as con:
        names = [
            row[0]
            for row in con.sql(
                "select table_name from information_schema.tables "
                "where table_schema = 'openai_raw' and table_name not like '\\_dlt%' escape '\\' "
                "and table_name <> 'loader_runs'"
            ).fetchall()
        ]
        for name in sorted(names):
            columns = [
                row[0]
                for row in con.sql(
                    "select column_name from information_schema.columns where table_schema = 'openai_raw' "
                    f"and table_name = '{name}' and column_name not like '\\_dlt%' escape '\\' "
                    # when a run happened (openai_raw.organizations), not what it loaded
                    "and column_name <> 'loaded_at' "
                    "order by column_name"
                ).fetchall()
            ]
            select = ", ".join(f'"{column}"' for column in columns)
            rows = con.sql(f'select {select} from openai_raw."{name}"').fetchall()
            tables[name] = sorted(rows, key=repr)
    return tables


def warehouse_costs(db_path: Path, group_by: str) -> dict[tuple, Decimal]:
    """Raw cost totals per org, day, project, line item (and key for the key-level rows)."""
    key_column = ", api_key_id" if "api_key_id" in group_by else ""
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            f"select org_id, cast(bucket_start_at as date), project_id, line_item{key_column}, "
            "sum(amount__value) from openai_raw.costs where group_by = ? "
            f"group by all",
            [group_by],
        ).fetchall()
    return {tuple(row[:-1]): row[-1] for row in rows}


def truth_costs(sim: Simulator, org_id: str, start: date, end: date, by_key: bool) -> dict[tuple, Decimal]:
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in sim.ground_truth_costs(org_id, start, end):
        key: tuple = (org_id, row["date"], row["project_id"], row["line_item"])
        if by_key:
            key += (row["api_key_id"],)
        totals[key] += row["amount"]  # type: ignore[operator]
    return dict(totals)


def reference_usage_counts(
    sim: Simulator, base_url: str, org: Organization, start: int, end: int
) -> dict[str, int]:
    """Result rows per usage table, fetched independently with plain requests."""
    counts: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {org.admin_key}"}
    for endpoint in USAGE_ENDPOINTS:
        params: dict[str, Any] = {
            "start_time": start,
            "end_time": end,
            "bucket_width": "1d",
            "limit": USAGE_PAGE_LIMITS["1d"],
            "group_by": list(endpoint.group_by),
        }
        counts[endpoint.table] = _count_results(base_url + endpoint.path, params, headers)
    return counts


def _count_results(url: str, params: dict[str, Any], headers: dict[str, str]) -> int:
    total, query = 0, dict(params)
    while True:
        page = requests.get(url, params=query, headers=headers, timeout=60).json()
        total += sum(len(bucket["results"]) for bucket in page["data"])
        if not page["has_more"]:
            return total
        query = {**params, "page": page["next_page"]}


def backfill_start(now: datetime, days: int = BACKFILL_DAYS) -> int:
    day = now.date() - timedelta(days=days)
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def files_containing(roots: Iterable[Path], needle: str) -> list[Path]:
    data = needle.encode()
    found = []
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and data in path.read_bytes():
                found.append(path)
    return found


def cli_env(workdir: Path, base_url: str, **extra: str) -> dict[str, str]:
    """Environment for `python -m loader` in a subprocess, isolated from the developer's config."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SOURCES__", "OPENAI_", "DESTINATION__", "DLT_"))
    }
    env.update(
        HOME=str(workdir / "home"),
        DLT_PROJECT_DIR=str(workdir / "dlt_project"),
        OPENAI_BASE_URL=base_url,
        OPENAI_FINOPS_DUCKDB=str(workdir / "warehouse.duckdb"),
        OPENAI_FINOPS_PIPELINES_DIR=str(workdir / "pipelines"),
        RUNTIME__DLTHUB_TELEMETRY="false",
    )
    env.update(extra)
    (workdir / "home").mkdir(parents=True, exist_ok=True)
    (workdir / "dlt_project").mkdir(parents=True, exist_ok=True)
    return env


def loader_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "loader", *args]


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        loader_command(*args),
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


COSTS_GROUP_BY = ",".join(sorted(COSTS_ENDPOINT.group_by))
COSTS_BY_KEY = ",".join(sorted(COSTS_BY_KEY_GROUP_BY))
