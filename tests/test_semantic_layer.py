"""The semantic layer (models/semantic/) with MetricFlow on the demo warehouse: the configs
validate against the warehouse, and `mf query` answers what the marts say.

MetricFlow reads `target/semantic_manifest.json` under the project root whatever the target path,
so the test runs dbt and `mf` in a folder of its own that links to the project's files.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from dbt_support import with_demo_vars

if TYPE_CHECKING:
    from conftest import DemoWarehouse

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("dbt_project.yml", "models", "macros", "seeds", "tests")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class MetricFlow:
    project_dir: Path
    env: dict[str, str]
    duckdb_path: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        mf_bin = str(Path(sys.executable).with_name("mf"))
        return subprocess.run(
            [mf_bin, *args], cwd=self.project_dir, env=self.env, text=True, capture_output=True
        )


@pytest.fixture(scope="module")
def metricflow(
    demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MetricFlow]:
    work_dir = tmp_path_factory.mktemp("semantic_layer")
    warehouse = demo_warehouse.copy_to(work_dir / "warehouse")
    project_dir = work_dir / "project"
    project_dir.mkdir()
    for name in PROJECT_FILES:
        (project_dir / name).symlink_to(REPO_ROOT / name)
    env = {key: value for key, value in warehouse.env.items() if key != "DBT_TARGET_PATH"}
    dbt_bin = str(Path(sys.executable).with_name("dbt"))
    parsed = subprocess.run(
        [dbt_bin, *with_demo_vars(["parse"])], cwd=project_dir, env=env, text=True, capture_output=True
    )
    assert parsed.returncode == 0, parsed.stdout[-4000:]
    assert (project_dir / "target" / "semantic_manifest.json").exists()
    yield MetricFlow(project_dir, env, warehouse.duckdb_path)


def test_semantic_layer_validates_against_the_warehouse(metricflow: MetricFlow) -> None:
    done = metricflow.run("validate-configs")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    for step in ("semantics of built manifest", "metrics against data warehouse"):
        assert f"Successfully validated {step}" in output or f"Successfully validated the {step}" in output
    assert "ERRORS: 0" in output and "ERRORS: 1" not in output


def _mf_rows(metricflow: MetricFlow, tmp_path: Path) -> dict[tuple[str, str], dict[str, str]]:
    out = tmp_path / "query.csv"
    done = metricflow.run(
        "query",
        "--metrics", "spend,tokens,anomaly_count",
        "--group-by", "metric_time__day,project",
        "--csv", str(out),
    )  # fmt: skip
    assert done.returncode == 0 and out.exists(), (done.stdout + done.stderr)[-4000:]
    with out.open() as file:
        return {(row["metric_time__day"][:10], row["project"]): row for row in csv.DictReader(file)}


def _mart_totals(duckdb_path: Path) -> dict[str, dict[tuple[str, str], Decimal]]:
    queries = {
        "spend": """select cast("x_ChargeDate" as varchar), coalesce("SubAccountId", ''), sum("BilledCost")
                    from marts.fct_openai_cost where "ChargeCategory" = 'Usage' group by 1, 2""",
        "tokens": """select cast(usage_date as varchar), coalesce(project_id, ''),
                        sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0))
                     from marts.fct_openai_usage group by 1, 2""",
        "anomaly_count": """select cast(spend_date as varchar), coalesce(project_id, ''), count(*)
                            from marts.mart_spend_anomalies group by 1, 2""",
    }
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return {
            metric: {(day, project): Decimal(total) for day, project, total in con.execute(sql).fetchall()}
            for metric, sql in queries.items()
        }


def test_mf_query_by_day_and_project_equals_the_marts(metricflow: MetricFlow, tmp_path: Path) -> None:
    rows = _mf_rows(metricflow, tmp_path)
    marts = _mart_totals(metricflow.duckdb_path)
    assert all(marts.values()), "the demo has spend, tokens and anomalies"
    for metric, expected in marts.items():
        answered = {key: Decimal(row[metric]) for key, row in rows.items() if row[metric] not in ("", None)}
        if metric == "spend":
            answered = {key: value.quantize(CENT) for key, value in answered.items()}
            expected = {key: value.quantize(CENT) for key, value in expected.items()}
        # A day and project with none of a metric: the mart has no row, MetricFlow an empty cell.
        expected = {key: value for key, value in expected.items() if value != 0}
        answered = {key: value for key, value in answered.items() if value != 0}
        assert answered == expected, metric
