"""The rest of the bill: the team's cloud FOCUS files beside OpenAI's (issue 20).

On a copy of the session's demo warehouse, `var('cloud_focus_path')` points at
tests/fixtures/cloud_focus (the FinOps Foundation's FOCUS 1.0 sample, CC BY 4.0, see its README)
and only the three models of the feature are built: stg_cloud_focus__cost_and_usage,
fct_focus_cost_all_providers and mart_spend_by_provider_daily. Every number compared with the
models is computed here from the CSV with `decimal.Decimal`. A second build reads files of FOCUS
1.3 (parquet) and 1.4 (CSV) written by the test, on a day OpenAI also billed.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

if TYPE_CHECKING:
    from conftest import DemoWarehouse

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cloud_focus"
SAMPLE = FIXTURES / "focus_1.0_sample_1000.csv"
MODELS = ("stg_cloud_focus__cost_and_usage", "fct_focus_cost_all_providers", "mart_spend_by_provider_daily")
STAGING = "staging.stg_cloud_focus__cost_and_usage"
UNION = "marts.fct_focus_cost_all_providers"
MART = "marts.mart_spend_by_provider_daily"
TOLERANCE = Decimal("0.000001")  # var('cloud_focus_cost_tolerance')


def _query(warehouse: DemoWarehouse, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _build(demo_warehouse: DemoWarehouse, work_dir: Path, folder: Path) -> DemoWarehouse:
    warehouse = demo_warehouse.copy_to(work_dir)
    vars_ = json.dumps({"cloud_focus_path": str(folder)})
    build = warehouse.dbt("build", "--select", *MODELS, "--vars", vars_, check=False)
    assert build.returncode == 0, build.stdout[-4000:]
    assert "WARN=0" in build.stdout, build.stdout[-4000:]
    return warehouse


@pytest.fixture(scope="module")
def cloud(demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory) -> DemoWarehouse:
    return _build(demo_warehouse, tmp_path_factory.mktemp("cloud_focus"), FIXTURES)


@pytest.fixture(scope="module")
def sample() -> list[dict[str, str]]:
    with SAMPLE.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _value(text: str) -> str | None:
    """What the file means: the bare token NULL and the empty string are null."""
    return None if text.strip() in ("", "NULL") else text


def _decimal(text: str) -> Decimal | None:
    value = _value(text)
    return None if value is None else Decimal(value)


def test_without_the_var_staging_is_empty_and_typed_and_the_union_is_openai(
    demo_warehouse: DemoWarehouse,
) -> None:
    """The session's warehouse was built without the var: nothing changes for OpenAI alone."""
    assert _query(demo_warehouse, f"select count(*) from {STAGING}") == [(0,)]
    types = dict(_query(demo_warehouse, f"select column_name, column_type from (describe {STAGING})"))
    assert types["BilledCost"] == types["PricingQuantity"] == "DECIMAL(38,18)"
    assert types["ChargePeriodStart"] == "TIMESTAMP"
    assert types["x_HasRuleViolations"] == "BOOLEAN"
    (fct,) = _query(demo_warehouse, 'select count(*), sum("BilledCost") from marts.fct_openai_cost')
    assert _query(demo_warehouse, f'select count(*), sum("BilledCost") from {UNION}') == [fct]
    assert fct[0] > 0
    shares = _query(
        demo_warehouse, f"select distinct openai_share_of_day from {MART} where day_billed_cost != 0"
    )
    assert shares == [(Decimal(1),)]


def test_rows_per_provider_and_version(cloud: DemoWarehouse, sample: list[dict[str, str]]) -> None:
    rows = _query(
        cloud,
        f'select "ServiceProviderName", "HostProviderName", "x_FocusVersion", "x_SourceFile", count(*) '
        f"from {STAGING} group by all order by 1",
    )
    assert rows == [
        ("AWS", "AWS", "1.0", SAMPLE.name, 942),
        ("Microsoft", "Microsoft", "1.0", SAMPLE.name, 51),
        ("Oracle", "Oracle", "1.0", SAMPLE.name, 7),
    ]
    assert Counter(row["ProviderName"] for row in sample) == {"AWS": 942, "Microsoft": 51, "Oracle": 7}
    assert _query(cloud, f'select count(distinct "x_SourceRowId") from {STAGING}') == [(1000,)]


def test_billed_total_per_provider_is_the_exact_sum_of_the_file(
    cloud: DemoWarehouse, sample: list[dict[str, str]]
) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in sample:
        expected[row["ProviderName"]] += Decimal(row["BilledCost"])
    rows = _query(cloud, f'select "ServiceProviderName", sum("BilledCost") from {STAGING} group by 1')
    assert dict(rows) == expected
    assert expected == {
        "AWS": Decimal("18.0066386184"),
        "Microsoft": Decimal("1.97651418586"),
        "Oracle": Decimal("0.53707392473"),
    }


def test_quirks_of_the_sample_are_parsed(cloud: DemoWarehouse, sample: list[dict[str, str]]) -> None:
    # A date without T or Z, the quoted ListUnitPrice, a NULL token: the file's row Id 11472.
    (row,) = [row for row in sample if row["Id"] == "11472"]
    assert (row["ChargePeriodStart"], row["ListUnitPrice"], row["ResourceName"]) == (
        "2024-09-18 22:00:00",
        "0.0000004",
        "NULL",
    )
    found = _query(
        cloud,
        'select "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "ListUnitPrice", '
        f'"ResourceName", "AvailabilityZone" is null, "BilledCost" from {STAGING} '
        'where "ResourceId" = ? and "ChargePeriodStart" = ?',
        [row["ResourceId"], datetime(2024, 9, 18, 22)],
    )
    assert found == [
        (
            datetime(2024, 9, 18, 22),
            datetime(2024, 9, 18, 23),
            datetime(2024, 9, 1),
            Decimal("0.0000004"),
            None,
            True,
            Decimal("0.0000008"),
        )
    ]
    # Every NULL token and empty string is null: per column, as many nulls as the file has.
    for column in ("ResourceName", "BillingAccountName", "ContractedCost", "RegionId", "Tags", "SkuPriceId"):
        nulls = sum(_value(row[column]) is None for row in sample)
        assert _query(cloud, f'select count(*) from {STAGING} where "{column}" is null') == [(nulls,)], column
    # The 7 Oracle rows carry "" where others write NULL.
    assert _query(
        cloud,
        f"""select count(*) from {STAGING} """
        """where "ServiceProviderName" = 'Oracle' and "BillingAccountName" is null""",
    ) == [(7,)]
    assert sum(row["BillingAccountName"] == "" for row in sample) == 7
    # Every date parsed, every number exactly (no `:format` rule fired).
    assert _query(cloud, f'select count(*) from {STAGING} where "ChargePeriodStart" is null') == [(0,)]
    assert _query(cloud, f"""select count(*) from {STAGING} where "x_RuleViolations" like '%:format%'""") == [
        (0,)
    ]
    list_unit_price = sum(_decimal(row["ListUnitPrice"]) or Decimal(0) for row in sample)
    assert _query(cloud, f'select sum("ListUnitPrice") from {STAGING}') == [(list_unit_price,)]


def test_rows_breaking_focus_rules_are_kept_and_flagged(
    cloud: DemoWarehouse, sample: list[dict[str, str]]
) -> None:
    counts = Counter(
        rule
        for (violations,) in _query(
            cloud, f'select "x_RuleViolations" from {STAGING} where "x_HasRuleViolations"'
        )
        for rule in violations.split(", ")
    )
    assert counts == {
        "ContractedCost:null": 7,
        "ChargeFrequency:allowed_values": 7,
        "RegionName:without_RegionId": 7,
        "ChargePeriodStart:outside_billing_period": 1,
        "ListCost:not_unit_price_times_quantity": 25,
        "ContractedCost:not_unit_price_times_quantity": 17,
    }
    # The same counts computed from the file.
    assert sum(_value(row["ContractedCost"]) is None for row in sample) == 7
    assert sum(row["ChargeFrequency"] not in ("One-Time", "Recurring", "Usage-Based") for row in sample) == 7
    assert (
        sum(_value(row["RegionId"]) is None and _value(row["RegionName"]) is not None for row in sample) == 7
    )
    assert sum(row["ChargePeriodStart"] < row["BillingPeriodStart"] for row in sample) == 1

    def off(cost: str, price: str, quantity: str) -> bool:
        values = [_decimal(cost), _decimal(price), _decimal(quantity)]
        return None not in values and abs(values[0] - values[1] * values[2]) > TOLERANCE

    list_off = [row for row in sample if off(row["ListCost"], row["ListUnitPrice"], row["PricingQuantity"])]
    assert len(list_off) == 25 and {row["ProviderName"] for row in list_off} == {"Microsoft"}
    contracted_off = [
        row
        for row in sample
        if off(row["ContractedCost"], row["ContractedUnitPrice"], row["PricingQuantity"])
    ]
    assert len(contracted_off) == 17 and {row["ProviderName"] for row in contracted_off} == {"AWS"}
    flagged = _query(
        cloud, f'select "ServiceProviderName", count(*) from {STAGING} where "x_HasRuleViolations" group by 1'
    )
    assert dict(flagged) == {"AWS": 17, "Microsoft": 25, "Oracle": 7}
    assert _query(cloud, f'select count(*) from {STAGING} where not "x_HasRuleViolations"') == [(951,)]
    assert _query(
        cloud,
        f'select count(*) from {STAGING} where not "x_HasRuleViolations" and "x_RuleViolations" is not null',
    ) == [(0,)]


def test_union_is_openai_rows_plus_the_sample(cloud: DemoWarehouse, sample: list[dict[str, str]]) -> None:
    ((openai_rows, openai_billed),) = _query(
        cloud, 'select count(*), sum("BilledCost") from marts.fct_openai_cost'
    )
    sample_billed = sum(Decimal(row["BilledCost"]) for row in sample)
    assert _query(cloud, f'select count(*), sum("BilledCost") from {UNION}') == [
        (openai_rows + 1000, openai_billed + sample_billed)
    ]
    by_source = _query(
        cloud,
        'select "x_SourceDataset", count(*), sum("BilledCost"), '
        f'count(*) filter (where "x_HasRuleViolations") from {UNION} group by 1 order by 1',
    )
    assert by_source == [("cloud_focus", 1000, sample_billed, 49), ("openai", openai_rows, openai_billed, 0)]


def test_daily_mart_sums_the_union_and_gives_openai_share(
    cloud: DemoWarehouse, sample: list[dict[str, str]]
) -> None:
    per_provider = dict(
        _query(cloud, f"select service_provider_name, sum(billed_cost) from {MART} group by 1")
    )
    union = dict(_query(cloud, f'select "ServiceProviderName", sum("BilledCost") from {UNION} group by 1'))
    assert per_provider == union
    aws_day = sum(
        Decimal(row["BilledCost"])
        for row in sample
        if row["ProviderName"] == "AWS" and row["ChargePeriodStart"].startswith("2024-09-18")
    )
    assert _query(
        cloud,
        f"select sum(billed_cost), max(day_billed_cost), max(openai_share_of_day) from {MART} "
        "where charge_date = date '2024-09-18' and service_provider_name = 'AWS'",
    ) == [
        (
            aws_day,
            sum(Decimal(r["BilledCost"]) for r in sample if r["ChargePeriodStart"][:10] == "2024-09-18"),
            0,
        )
    ]
    assert _query(
        cloud, f"select sum(rule_violation_rows), sum(charge_rows) from {MART} where not is_openai"
    ) == [(49, 1000)]


def _focus_1_3_row(day: date) -> dict[str, str]:
    """A FOCUS 1.3 row (parquet: ServiceProviderName beside the deprecated ProviderName) of `day`."""
    start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    return {
        "BilledCost": "12.5",
        "EffectiveCost": "12.5",
        "ListCost": "12.5",
        "ContractedCost": "12.5",
        "BillingCurrency": "USD",
        "ChargePeriodStart": f"{start}T00:00:00Z",
        "ChargePeriodEnd": f"{end}T00:00:00Z",
        "BillingPeriodStart": f"{month.isoformat()}T00:00:00Z",
        "BillingPeriodEnd": f"{next_month.isoformat()}T00:00:00Z",
        "ChargeCategory": "Usage",
        "ChargeFrequency": "Usage-Based",
        "ProviderName": "Google Cloud",
        "PublisherName": "Google Cloud",
        "ServiceProviderName": "Google Cloud",
        "HostProviderName": "Google Cloud",
        "InvoiceIssuerName": "Google Cloud",
        "ServiceCategory": "Compute",
        "ServiceName": "Compute Engine",
        "BillingAccountId": "0000-GOOGLE",
        "ContractApplied": "NULL",
    }


def test_newer_versions_map_to_the_same_columns(
    demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Files of FOCUS 1.3 (parquet) and 1.4 (CSV) on a day OpenAI billed: the 1.4 file has no
    ProviderName, an InvoiceDetailId, an offset, a US date and a quoted number."""
    ((day,),) = _query(demo_warehouse, 'select max("x_ChargeDate") - 3 from marts.fct_openai_cost')
    google = _focus_1_3_row(day)
    folder = tmp_path_factory.mktemp("cloud_focus_versions")
    columns = ", ".join(f"'{value}' as \"{name}\"" for name, value in google.items())
    duckdb.execute(f"copy (select {columns}) to '{folder / 'google_1_3.parquet'}' (format parquet)")
    header = [*(name for name in google if name not in ("ProviderName", "PublisherName")), "InvoiceDetailId"]
    next_day = day + timedelta(days=1)
    values = google | {
        "BilledCost": '"7.25"',
        "ChargePeriodStart": f"{day.isoformat()}T01:00:00+01:00",
        "ChargePeriodEnd": f"{next_day.month:02d}/{next_day.day:02d}/{next_day.year}",
        "ServiceProviderName": "Microsoft",
        "HostProviderName": "Microsoft",
        "ServiceName": "Virtual Machines",
        "InvoiceDetailId": "inv-1",
        "ServiceCategory": "Computing",
    }
    with (folder / "azure_1_4.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([values[name] for name in header])
    warehouse = _build(demo_warehouse, folder.parent / f"{folder.name}_warehouse", folder)
    midnight = datetime.combine(day, time())
    rows = _query(
        warehouse,
        f'select "x_SourceFile", "x_FocusVersion", "ServiceProviderName", "BilledCost", "ChargePeriodStart", '
        f'"ChargePeriodEnd", "InvoiceDetailId", "x_RuleViolations" from {STAGING} order by 1',
    )
    assert rows == [
        (
            "azure_1_4.csv",
            "1.4",
            "Microsoft",
            Decimal("7.25"),
            midnight,
            midnight + timedelta(days=1),
            "inv-1",
            "ServiceCategory:allowed_values",
        ),
        (
            "google_1_3.parquet",
            "1.3",
            "Google Cloud",
            Decimal("12.5"),
            midnight,
            midnight + timedelta(days=1),
            None,
            None,
        ),
    ]
    ((openai,),) = _query(
        warehouse, 'select sum("BilledCost") from marts.fct_openai_cost where "x_ChargeDate" = ?', [day]
    )
    assert openai > 0
    day = _query(
        warehouse,
        f"select distinct day_billed_cost, openai_day_billed_cost, openai_share_of_day from {MART} "
        "where charge_date = ?",
        [day],
    )
    total = openai + Decimal("19.75")
    ((day_total, openai_total, share),) = day
    assert (day_total, openai_total) == (total, openai)
    assert abs(share - openai / total) < Decimal("1e-15")
