"""Fixtures for the report tests: small generated marts and a headless Chromium to open the report.

The marts carry the real column names and types of the dbt models the report reads (only those
columns), filled with deterministic pseudo-random spend, so the test needs neither loader nor dbt.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dbt_support import build_surfaces
from surface_support import Browser

ORGS = {"org-ACME000000000000000000": "Acme Analytics", "org-GLOBEX0000000000000000": "Globex Research"}
PROJECTS = {
    "org-ACME000000000000000000": {
        "proj_acme_support": "Support Assistant",
        "proj_acme_labeling": "Data Labeling",
    },
    "org-GLOBEX0000000000000000": {"proj_globex_intake": "Document Intake", "proj_globex_search": "Search"},
}
MODELS = ("gpt-4o-2024-08-06", "gpt-4.1-mini-2025-04-14", "o3-2025-04-16")
FIRST_DAY = date(2026, 2, 1)
DAYS = 42


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[object, ...]]) -> None:
    # Through Arrow: executemany runs one statement per row, far too slow for a few thousand rows.
    # All as text: Arrow wants one type per column, and DuckDB casts text to decimals exactly.
    columns = pa.table(
        {
            f"c{index}": [None if value is None else str(value) for value in values]
            for index, values in enumerate(zip(*rows, strict=True))
        }
    )
    con.register("incoming", columns)
    con.execute(f"insert into {table} select * from incoming")
    con.unregister("incoming")


def _build(path: Path) -> None:
    rng = random.Random(7)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            """create table marts.fct_openai_cost (
                "BilledCost" decimal(38, 18), "BillingAccountId" varchar, "BillingAccountName" varchar,
                "ChargeCategory" varchar, "ChargePeriodStart" timestamp, "ConsumedQuantity" decimal(38, 9),
                "ConsumedUnit" varchar, "SubAccountId" varchar, "SubAccountName" varchar, "x_Model" varchar,
                "x_TokenType" varchar, "x_LineItem" varchar, "x_ApiKeyId" varchar)"""
        )
        con.execute(
            """create table marts.fct_openai_usage (
                org_id varchar, endpoint varchar, usage_date date, project_id varchar, model varchar,
                input_tokens bigint, output_tokens bigint, num_model_requests bigint, num_requests bigint)"""
        )
        con.execute(
            """create table marts.mart_cost_reconciliation (
                org_id varchar, charge_date date, project_id varchar, reconciliation_status varchar,
                billed_cost_usd decimal(38, 18), usage_list_cost_usd decimal(38, 18),
                reconciliation_class varchar)"""
        )
        costs, usage, reconciliation = [], [], []
        for offset in range(DAYS):
            day = FIRST_DAY + timedelta(days=offset)
            for org_id, projects in PROJECTS.items():
                for project_id, project_name in projects.items():
                    for model in MODELS:
                        tokens = rng.randint(100_000, 5_000_000)
                        # a spike for the anomaly marker: Support Assistant on day 35
                        scale = 8 if (project_id == "proj_acme_support" and offset == 35) else 1
                        cost = Decimal(tokens * scale) * Decimal(rng.randint(150, 1000)) / Decimal(10**9)
                        cost = cost.quantize(Decimal("0.000000001"))
                        costs.append(
                            (cost, org_id, ORGS[org_id], "Usage", day, tokens * scale, "Tokens", project_id,
                             project_name, model, "input", f"{model}, input", "key_1")
                        )  # fmt: skip
                        usage.append(
                            (org_id, "completions", day, project_id, model, tokens * scale, tokens // 10,
                             tokens // 900, None)
                        )  # fmt: skip
                        status = "matched" if model != MODELS[2] else "under"
                        listed = cost if status == "matched" else cost * Decimal("1.05")
                        reconciliation.append((org_id, day, project_id, status, cost, listed, "reconcilable"))
                    # a line item without a model: billed per call
                    calls = Decimal(rng.randint(0, 200))
                    costs.append(
                        (calls * Decimal("0.025"), org_id, ORGS[org_id], "Usage", day, calls, "Requests",
                         project_id, project_name, None, None, "web search tool calls", None)
                    )  # fmt: skip
                    usage.append(
                        (org_id, "web_search_calls", day, project_id, None, None, None, 0, int(calls))
                    )
                    # web search has a usage endpoint: billed calls without usage are unexplained
                    reconciliation.append(
                        (org_id, day, project_id, "no_usage", calls * Decimal("0.025"), None, "unexplained")
                    )
                # fine-tuning training: no usage by nature, explained
                reconciliation.append((org_id, day, None, "no_usage", Decimal("1.5"), None, "explained"))
        _insert(con, "marts.fct_openai_cost", costs)
        _insert(con, "marts.fct_openai_usage", usage)
        _insert(con, "marts.mart_cost_reconciliation", reconciliation)

        spike_day = FIRST_DAY + timedelta(days=35)
        con.execute(
            """create table marts.mart_spend_anomalies (
                anomaly_id varchar, series_level varchar, series_id varchar, org_id varchar,
                project_id varchar,
                model varchar, api_key_id varchar, spend_date date, anomaly_type varchar, severity varchar,
                actual_cost_usd decimal(38, 6), expected_cost_usd decimal(38, 6), impact_usd decimal(38, 6),
                score decimal(28, 2), drivers varchar)"""
        )
        actual = con.execute(
            """select sum("BilledCost") from marts.fct_openai_cost
               where "SubAccountId" = 'proj_acme_support' and cast("ChargePeriodStart" as date) = ?""",
            [spike_day],
        ).fetchone()[0]
        series = "org-ACME000000000000000000/proj_acme_support"
        con.execute(
            "insert into marts.mart_spend_anomalies values (?, 'project', ?, 'org-ACME000000000000000000', "
            "'proj_acme_support', null, null, ?, 'spike', 'high', ?, ?, ?, 9.5, "
            "'project_model gpt-4o-2024-08-06 +$40.00')",
            [f"{series}@{spike_day}", series, spike_day, actual, actual / 8, actual - actual / 8],
        )

        con.execute(
            """create table marts.mart_budget_status (
                budget_id varchar, budget_name varchar, org_id varchar, project_id varchar, model varchar,
                budget_period varchar, period_start_date date, period_end_date date,
                is_current_period boolean, as_of_date date, budget_amount_usd decimal(38, 6),
                actual_to_date_usd decimal(38, 6), forecast_usd decimal(38, 6), forecast_method varchar,
                thresholds_crossed varchar, status varchar, forecast_low_usd decimal(38, 6),
                forecast_high_usd decimal(38, 6), forecast_error_pct decimal(38, 2),
                forecast_backtest_periods bigint, first_loaded_date date, status_reason varchar)"""
        )
        con.execute(
            """create table marts.mart_budget_daily (
                budget_id varchar, period_start_date date, spend_date date, budget_line_usd decimal(38, 6),
                cumulative_actual_usd decimal(38, 6), projected_cumulative_usd decimal(38, 6),
                projected_low_cumulative_usd decimal(38, 6), projected_high_cumulative_usd decimal(38, 6))"""
        )
        con.execute(
            """create table marts.mart_budget_thresholds (
                budget_id varchar, period_start_date date, threshold_pct numeric(9, 2),
                threshold_usd decimal(38, 6))"""
        )
        as_of = FIRST_DAY + timedelta(days=DAYS - 1)  # 2026-03-14
        month = date(2026, 3, 1)
        daily = con.execute(
            """select cast("ChargePeriodStart" as date), sum("BilledCost") from marts.fct_openai_cost
               where "BillingAccountId" = 'org-ACME000000000000000000' and "ChargePeriodStart" >= ?
               group by 1 order by 1""",
            [month],
        ).fetchall()
        cumulative, rows = Decimal(0), []
        for day, cost in daily:
            cumulative += cost
            rows.append(
                ("acme-monthly", month, day, Decimal(600) * day.day / 31, cumulative, cumulative, None, None)
            )
        per_day = cumulative / len(daily)
        remaining = 31 - as_of.day
        forecast = cumulative + per_day * remaining
        # the band: +/-10% of the forecast at the period's end, a cone from the as-of day
        rows[-1] = (*rows[-1][:6], cumulative, cumulative)
        for extra in range(1, remaining + 1):
            day = as_of + timedelta(days=extra)
            projected = cumulative + per_day * extra
            spread = forecast * Decimal("0.1") * extra / remaining
            rows.append(
                ("acme-monthly", month, day, Decimal(600) * day.day / 31, None, projected,
                 projected - spread, projected + spread)
            )  # fmt: skip
        con.executemany("insert into marts.mart_budget_daily values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute(
            "insert into marts.mart_budget_status values ('acme-monthly', 'Acme monthly', "
            "'org-ACME000000000000000000', null, null, 'month', ?, '2026-03-31', true, ?, 600, ?, ?, "
            "'weekday_28d', '50.00% actual 2026-03-09', 'at risk', ?, ?, 10.00, 2, '2026-02-01', null)",
            [month, as_of, cumulative, forecast, forecast * Decimal("0.9"), forecast * Decimal("1.1")],
        )
        # Globex's quarter began before its costs were loaded: no forecast, the chart says why.
        quarter = date(2026, 1, 1)
        con.execute(
            "insert into marts.mart_budget_status values ('globex-quarterly', 'Globex quarterly', "
            "'org-GLOBEX0000000000000000', null, null, 'quarter', ?, '2026-03-31', true, ?, 5000, ?, "
            "null, 'weekday_28d', '', 'not enough data', null, null, null, null, ?, ?)",
            [
                quarter, as_of, Decimal(0), FIRST_DAY,
                "costs are loaded from 2026-02-01 but the quarter began 2026-01-01 (42 of 90 days loaded): "
                "load from its start with python -m loader --start 2026-01-01",
            ],
        )  # fmt: skip
        cumulative = Decimal(0)
        for offset in range(DAYS):
            day = FIRST_DAY + timedelta(days=offset)
            cumulative += Decimal(50)
            con.execute(
                "insert into marts.mart_budget_daily "
                "values ('globex-quarterly', ?, ?, ?, ?, null, null, null)",
                [quarter, day, Decimal(5000) * (day - quarter).days / 90, cumulative],
            )
        con.execute(
            "update marts.mart_budget_status set actual_to_date_usd = ? where budget_id = 'globex-quarterly'",
            [cumulative],
        )
        con.executemany(
            "insert into marts.mart_budget_thresholds values (?, ?, ?, ?)",
            [
                ("acme-monthly", month, 50, 300), ("acme-monthly", month, 80, 480),
                ("acme-monthly", month, 100, 600), ("globex-quarterly", quarter, 100, 5000),
            ],
        )  # fmt: skip
        _add_what_the_surface_models_read(con)
        _add_the_whole_bill(con)


# The cloud bill beside OpenAI's: AWS spends $40 a day in USD and 10 EUR a day (another currency,
# left out of the panel), from 2026-02-15.
AWS_FROM = date(2026, 2, 15)


def _add_the_whole_bill(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """create table marts.mart_spend_by_provider_daily as
           select cast("ChargePeriodStart" as date) as charge_date, 'OpenAI' as service_provider_name,
                  'AI and Machine Learning' as service_category, 'USD' as billing_currency,
                  true as is_openai, sum("BilledCost") as billed_cost
           from marts.fct_openai_cost group by 1"""
    )
    for offset in range((FIRST_DAY + timedelta(days=DAYS) - AWS_FROM).days):
        day = AWS_FROM + timedelta(days=offset)
        con.execute(
            "insert into marts.mart_spend_by_provider_daily values "
            "(?, 'AWS', 'Compute', 'USD', false, 40), (?, 'AWS', 'Compute', 'EUR', false, 10)",
            [day, day],
        )


def _add_what_the_surface_models_read(con: duckdb.DuckDBPyConnection) -> None:
    """Columns and dimensions models/surfaces read that the report itself never shows."""
    con.execute('alter table marts.fct_openai_cost add column "x_ChargeDate" date')
    con.execute('update marts.fct_openai_cost set "x_ChargeDate" = cast("ChargePeriodStart" as date)')
    con.execute("alter table marts.mart_cost_reconciliation add column gap_usd decimal(38, 18)")
    con.execute("update marts.mart_cost_reconciliation set gap_usd = billed_cost_usd - usage_list_cost_usd")
    for column, kind in [
        ("direction", "varchar"),
        ("detection_rule", "varchar"),
        ("impact_pct", "decimal(28, 1)"),
        ("history_days", "bigint"),
        ("baseline_weeks", "bigint"),
        ("top_driver_level", "varchar"),
        ("top_driver_name", "varchar"),
        ("top_driver_impact_usd", "decimal(38, 6)"),
        ("top_user_id", "varchar"),
        ("top_user_impact_usd", "decimal(38, 6)"),
    ]:
        con.execute(f"alter table marts.mart_spend_anomalies add column {column} {kind}")
    con.execute(
        "create table marts.dim_openai_projects (org_id varchar, project_id varchar, project_name varchar)"
    )
    con.executemany(
        "insert into marts.dim_openai_projects values (?, ?, ?)",
        [(org, project, name) for org, projects in PROJECTS.items() for project, name in projects.items()],
    )
    con.execute("create table marts.dim_openai_users (org_id varchar, user_id varchar, user_name varchar)")
    con.execute(
        "create table marts.dim_openai_api_keys (org_id varchar, api_key_id varchar, api_key_name varchar)"
    )
    series = "org-ACME000000000000000000/proj_acme_support"
    con.execute(
        """create table marts.mart_spend_anomaly_drivers as
           select anomaly_id, series_id, org_id, spend_date, cast(1 as bigint) as driver_rank,
                  'project_model' as driver_level,
                  series_id || '/model/gpt-4o-2024-08-06' as driver_series_id,
                  project_id as driver_project_id, 'gpt-4o-2024-08-06' as driver_id,
                  cast(40 as decimal(38, 6)) as driver_impact_usd
           from marts.mart_spend_anomalies where series_id = ?""",
        [series],
    )


@pytest.fixture(scope="module")
def report_marts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "warehouse.duckdb"
    _build(path)
    build_surfaces(
        path,
        path.parent,
        [
            "dim_openai_organizations",
            "rpt_spend_daily",
            "rpt_usage_daily",
            "rpt_reconciliation_daily",
            "rpt_spend_anomalies",
        ],
    )
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    return Browser(tmp_path_factory.mktemp("chromium-profile"))


def png_pixels(path: Path) -> Counter[tuple[int, int, int]]:
    """Count the RGB colors of an 8-bit, non-interlaced PNG (what Chromium writes) without Pillow."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color_type in (2, 6) and interlace == 0
    channels = 3 if color_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    colors: Counter[tuple[int, int, int]] = Counter()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - up_left
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + predictor) & 0xFF
        colors.update(zip(line[0::channels], line[1::channels], line[2::channels], strict=True))
        previous = line
    return colors
