"""The spend anomaly detection end to end on hand-made series (tests/anomaly_scenarios.yml).

Every scenario's int_spend_daily (tests/dbt/fixtures/<fixture>.sql) gets an organization of its
own, `org-<scenario>`, so that all of them go through the three stages (int_spend_anomaly_scores,
int_spend_anomaly_flags, mart_spend_anomalies) in one `dbt run`: the rules never compare series
of different organizations. The mart's rows of each organization must then be the scenario's
`expect`, exactly, on the columns it lists.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dbt_support import dbt_env, with_demo_vars

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = yaml.safe_load((REPO_ROOT / "tests" / "anomaly_scenarios.yml").read_text())
FIXTURES = REPO_ROOT / "tests" / "dbt" / "fixtures"
CENT = Decimal("0.01")
STAGES = (
    "int_spend_anomaly_scores",
    "int_spend_anomaly_flags",
    "mart_spend_anomaly_drivers",
    "mart_spend_anomalies",
)


def _dbt(env: dict[str, str], *args: str) -> str:
    dbt_bin = str(Path(sys.executable).with_name("dbt"))
    done = subprocess.run(
        [dbt_bin, *with_demo_vars(args)], cwd=REPO_ROOT, env=env, text=True, capture_output=True
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    return done.stdout


def _scenario_series(scenario: dict[str, Any]) -> str:
    fixture = (FIXTURES / f"{scenario['fixture']}.sql").read_text()
    org = f"org-{scenario['name']}"
    return (
        f"select * replace ('{org}' as org_id, '{org}' || substr(series_id, 6) as series_id)\n"
        f"from (\n{fixture}\n) as {scenario['name']}"
    )


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    work_dir = tmp_path_factory.mktemp("anomaly_scenarios")
    duckdb_path = work_dir / "openai_finops.duckdb"
    env = dbt_env(duckdb_path, work_dir)
    inline = "\nunion all\n".join(_scenario_series(scenario) for scenario in SCENARIOS)
    compiled = _dbt(env, "--quiet", "compile", "--inline", inline)
    assert compiled.lstrip().startswith("select"), compiled[:2000]
    with duckdb.connect(str(duckdb_path)) as con:
        con.execute("create schema intermediate")
        con.execute(f"create table intermediate.int_spend_daily as {compiled}")
        orgs_query = "select count(distinct org_id) from intermediate.int_spend_daily"
        series_orgs = con.execute(orgs_query).fetchone()
    assert series_orgs == (len(SCENARIOS),)
    _dbt(env, "run", "--select", *STAGES)
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        cursor = con.execute("select * from marts.mart_spend_anomalies order by series_id, spend_date")
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        keys_query = "select distinct settings_key from intermediate.int_spend_anomaly_scores"
        keys = con.execute(keys_query).fetchall()
    assert len(keys) == 1, f"every score carries the one settings key of the run: {keys}"
    by_org: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_org.setdefault(row["org_id"], []).append(row)
    return by_org


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario["name"] for scenario in SCENARIOS])
def test_anomaly_scenario(scenario: dict[str, Any], flagged: dict[str, list[dict[str, Any]]]) -> None:
    org = f"org-{scenario['name']}"
    expected = scenario["expect"]
    columns = sorted({column for row in expected for column in row}) or ["series_id", "spend_date"]

    def projected(row: dict[str, Any], org_id: str) -> tuple:
        values = []
        for column in columns:
            value = row.get(column)
            if column == "series_id":
                value = value.replace(org_id, "org-t", 1)
            elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                value = Decimal(value).quantize(CENT)
            values.append(value)
        return tuple(values)

    actual = sorted((projected(row, org) for row in flagged.get(org, [])), key=repr)
    assert actual == sorted((projected(row, "org-t") for row in expected), key=repr), scenario["description"]
