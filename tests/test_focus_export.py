"""The FOCUS export of a demo load: `dbt run-operation export_focus` writes Parquet, CSV and the
dataset metadata, for FOCUS 1.3 (the default) or 1.2. The 1.2 file passes the FinOps Foundation's
validator; no validator has the 1.3 rules offline, so the 1.3 rules are dbt tests on the view the
1.3 file copies (models/surfaces/focus/), and here they are shown to fail on broken rows. Both
files hold exactly the rows and total of fct_openai_cost and of the raw costs for the range."""

from __future__ import annotations

import json
import re
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


def _run_export(warehouse: DemoWarehouse, stem: Path, extra: dict | None = None) -> dict:
    ((first, last),) = _query(
        warehouse, 'select min("x_ChargeDate"), max("x_ChargeDate") from marts.fct_openai_cost'
    )
    start, end = first.isoformat(), last.isoformat()
    args = json.dumps({"start_date": start, "end_date": end, "path": str(stem)} | (extra or {}))
    result = warehouse.dbt("run-operation", "export_focus", "--args", args, check=False)
    assert result.returncode == 0, f"export failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    return {
        "start": start,
        "end": end,
        "parquet": Path(f"{stem}.parquet"),
        "csv": Path(f"{stem}.csv"),
        "metadata": Path(f"{stem}.metadata.json"),
        "log": result.stdout,
    }


@pytest.fixture(scope="module")
def export(demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The FOCUS 1.2 export (the version the validator knows)."""
    stem = tmp_path_factory.mktemp("focus_export") / "focus"
    return _run_export(demo_warehouse, stem, {"focus_version": "1.2"})


@pytest.fixture(scope="module")
def export_13(demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The default export: FOCUS 1.3."""
    stem = tmp_path_factory.mktemp("focus_export_13") / "focus"
    return _run_export(demo_warehouse, stem)


def _columns(parquet: Path) -> list[str]:
    return [
        row[0] for row in duckdb.execute("describe select * from read_parquet(?)", [str(parquet)]).fetchall()
    ]


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


def test_the_12_file_has_exactly_the_12_columns(export: dict) -> None:
    columns = _columns(export["parquet"])
    focus = [name for name in columns if not name.startswith("x_")]
    assert len(focus) == 57  # FOCUS 1.2 Cost and Usage
    assert {"ProviderName", "PublisherName", "BillingCurrency", "InvoiceIssuerName"} <= set(focus)
    assert not {"ServiceProviderName", "HostProviderName"} & set(columns)
    assert "FOCUS 1.2" in export["log"]


def test_the_13_file_has_the_13_columns_and_the_same_rows(export: dict, export_13: dict) -> None:
    columns_12, columns_13 = _columns(export["parquet"]), _columns(export_13["parquet"])
    focus_13 = [name for name in columns_13 if not name.startswith("x_")]
    assert set(columns_13) - set(columns_12) == {"ServiceProviderName", "HostProviderName"}
    assert set(columns_12) < set(columns_13)
    assert len(focus_13) == 59
    # x_ columns after the FOCUS ones; ProviderName and PublisherName kept (deprecated, still Mandatory).
    assert columns_13[: len(focus_13)] == focus_13
    assert {"ProviderName", "PublisherName"} <= set(focus_13)
    ((rows, billed, providers, hosts),) = duckdb.execute(
        'select count(*), sum("BilledCost"), count(distinct "ServiceProviderName"), '
        "count(*) filter (where \"HostProviderName\" = 'OpenAI') from read_parquet(?)",
        [str(export_13["parquet"])],
    ).fetchall()
    ((rows_12, billed_12),) = duckdb.execute(
        'select count(*), sum("BilledCost") from read_parquet(?)', [str(export["parquet"])]
    ).fetchall()
    assert (rows, Decimal(billed)) == (rows_12, Decimal(billed_12))
    assert providers == 1 and hosts == rows  # the demo has usage rows only: the host is OpenAI on each
    ((csv_header,),) = duckdb.execute(
        "select count(*) from (describe select * from read_csv(?))", [str(export_13["csv"])]
    ).fetchall()
    assert csv_header == len(columns_13)


def test_the_13_metadata(demo_warehouse: DemoWarehouse, export_13: dict, tmp_path: Path) -> None:
    metadata = json.loads(export_13["metadata"].read_text())
    assert metadata["FocusVersion"] == "1.3"
    assert metadata["DataGenerator"]["DataGenerator"] == "openai-finops"
    (instance,) = metadata["DatasetInstance"]
    assert instance["FocusDatasetId"] == "CostAndUsage"
    assert instance["DatasetInstanceName"] == "OpenAI Cost and Usage (openai-finops)"
    assert len(instance["DatasetInstanceId"]) == 36 and instance["DatasetInstanceId"].count("-") == 4
    schema = metadata["Schema"]
    assert schema["FocusVersion"] == "1.3"
    assert schema["DatasetInstanceId"] == instance["DatasetInstanceId"]
    definitions = {column["ColumnName"]: column for column in schema["ColumnDefinition"]}
    assert list(definitions) == _columns(export_13["parquet"])
    assert definitions["ProviderName"]["Deprecated"] is True
    assert definitions["PublisherName"]["Deprecated"] is True
    assert definitions["ServiceProviderName"] == {
        "ColumnName": "ServiceProviderName",
        "DataType": "String",
        "Deprecated": False,
    }
    assert (
        definitions["BilledCost"]["DataType"] == "Decimal" and definitions["BilledCost"]["NumberScale"] == 18
    )
    assert definitions["ChargePeriodStart"]["DataType"] == "DateTime"
    assert definitions["Tags"]["DataType"] == "JSON"
    assert "Deprecated" not in definitions["x_ChargeDate"]
    # The dataset instance is the same on the next run.
    again = _run_export(demo_warehouse, tmp_path / "again")
    assert json.loads(again["metadata"].read_text())["DatasetInstance"] == [instance]


def test_the_12_metadata_has_no_13_parts(export: dict) -> None:
    metadata = json.loads(export["metadata"].read_text())
    assert metadata["FocusVersion"] == "1.2" and metadata["Schema"]["FocusVersion"] == "1.2"
    assert "DatasetInstance" not in metadata and "DatasetInstanceId" not in metadata["Schema"]
    definitions = {column["ColumnName"]: column for column in metadata["Schema"]["ColumnDefinition"]}
    assert definitions["ProviderName"]["Deprecated"] is False


def test_an_unknown_focus_version_fails_with_the_allowed_values(
    demo_warehouse: DemoWarehouse, tmp_path: Path
) -> None:
    args = {
        "start_date": "2026-01-01",
        "end_date": "2026-01-31",
        "path": str(tmp_path / "f"),
        "focus_version": "1.4",
    }
    result = demo_warehouse.dbt("run-operation", "export_focus", "--args", json.dumps(args), check=False)
    assert result.returncode != 0
    assert "`focus_version` must be one of 1.2, 1.3" in result.stdout
    assert "got 1.4" in result.stdout
    assert not (tmp_path / "f.parquet").exists()


def test_the_13_rule_tests_fail_on_broken_rows(demo_warehouse: DemoWarehouse, tmp_path: Path) -> None:
    """In a copy of the warehouse, one usage row loses its SkuPriceId (its prices and quantities
    stay) and another one's ListCost is a cent off: the rule tests on the 1.3 view catch both,
    and a rule the rows still meet (ContractedCost) passes."""
    copy = demo_warehouse.copy_to(tmp_path / "broken")
    with duckdb.connect(str(copy.duckdb_path)) as con:
        ids = [
            row[0]
            for row in con.execute(
                'select "x_CostRowId" from marts.fct_openai_cost '
                'where "PricingQuantity" > 0 order by 1 limit 2'
            ).fetchall()
        ]
        con.execute('update marts.fct_openai_cost set "SkuPriceId" = null where "x_CostRowId" = ?', [ids[0]])
        con.execute(
            'update marts.fct_openai_cost set "ListCost" = "ListCost" + 0.01 where "x_CostRowId" = ?',
            [ids[1]],
        )
    failing = [
        "focus13_PricingQuantity_C_011_C_null_when_SkuPriceId_null",
        "focus13_ListUnitPrice_C_012_C_null_when_SkuPriceId_null",
        "focus13_PricingCurrencyContractedUnitPrice_C_011_C_null_no_SPId",
        "focus13_SkuPriceId_C_005_C_not_null_on_Usage_Purchase",
        "focus13_ListUnitPrice_C_014_C_ListCost_is_price_x_quantity",
    ]
    passing = ["focus13_ContractedUnitPrice_C_013_C_Cost_is_price_x_quantity"]
    result = copy.dbt("test", "--select", *failing, *passing, check=False)
    assert result.returncode != 0
    for name in failing:
        assert re.search(rf"FAIL 1 {name} ", result.stdout), (name, result.stdout[-4000:])
    for name in passing:
        assert re.search(rf"PASS {name} ", result.stdout), (name, result.stdout[-4000:])
