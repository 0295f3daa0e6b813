"""The FOCUS export of a demo load: `dbt run-operation export_focus` writes Parquet and CSV that
the FinOps Foundation's validator accepts, with exactly the rows and total of fct_openai_cost and
of the raw costs for the range."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

if TYPE_CHECKING:
    from conftest import DemoWarehouse

REPO_ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = REPO_ROOT / ".." / "shared" / "focus" / "focus-validate"


def _query(warehouse: DemoWarehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def export(demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory) -> dict:
    ((first, last),) = _query(
        demo_warehouse, 'select min("x_ChargeDate"), max("x_ChargeDate") from marts.fct_openai_cost'
    )
    start, end = first.isoformat(), last.isoformat()
    stem = tmp_path_factory.mktemp("focus_export") / "focus"
    args = json.dumps({"start_date": start, "end_date": end, "path": str(stem)})
    result = demo_warehouse.dbt("run-operation", "export_focus", "--args", args, check=False)
    assert result.returncode == 0, f"export failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    return {"start": start, "end": end, "parquet": Path(f"{stem}.parquet"), "csv": Path(f"{stem}.csv")}


def test_export_writes_parquet_and_csv(export: dict) -> None:
    assert export["parquet"].stat().st_size > 0
    assert export["csv"].stat().st_size > 0


def test_export_has_exact_rows_and_total(demo_warehouse: DemoWarehouse, export: dict) -> None:
    ((rows, billed, credits),) = duckdb.execute(
        'select count(*), sum("BilledCost"), count(*) filter (where "ChargeCategory" != \'Usage\') '
        "from read_parquet(?)",
        [str(export["parquet"])],
    ).fetchall()
    ((raw_total,),) = _query(
        demo_warehouse,
        "select sum(amount_value) from staging.stg_openai__costs where group_by = 'line_item,project_id' "
        f"and cast(bucket_start_at as date) between date '{export['start']}' and date '{export['end']}'",
    )
    ((table_rows, table_total),) = _query(
        demo_warehouse,
        'select count(*), sum("BilledCost") from marts.fct_openai_cost '
        f"where \"x_ChargeDate\" between date '{export['start']}' and date '{export['end']}'",
    )
    assert rows == table_rows > 0
    assert credits == 0  # the shipped billing_adjustments seed is empty
    assert Decimal(billed) == Decimal(table_total)
    # The export reconciles to the raw project-level costs to the cent.
    assert abs(Decimal(billed) - Decimal(raw_total)) < Decimal("0.005")
    ((csv_rows,),) = duckdb.execute("select count(*) from read_csv(?)", [str(export["csv"])]).fetchall()
    assert csv_rows == rows


def test_export_writes_focus_datetimes_with_z(export: dict) -> None:
    ((bad,),) = duckdb.execute(
        "select count(*) from read_parquet(?) where not regexp_full_match("
        '"ChargePeriodStart" || "ChargePeriodEnd" || "BillingPeriodStart" || "BillingPeriodEnd", '
        "'(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z){4}')",
        [str(export["parquet"])],
    ).fetchall()
    assert bad == 0


def test_export_passes_the_focus_validator(export: dict) -> None:
    result = subprocess.run(
        [str(VALIDATOR), str(export["parquet"])], cwd=REPO_ROOT, text=True, capture_output=True
    )
    assert result.returncode == 0, f"focus-validate failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert "0 failed" in result.stdout
