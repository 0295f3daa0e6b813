"""End to end on the demo warehouse (the README's main command): the report over the real marts in
Chromium, and an alerts run over the same marts to a local webhook, once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from surface_support import Browser, chart_marks, webhook_receiver

from openai_finops_surfaces.alerts.channels.webhook import verify_signature

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def webhook_bodies() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    with webhook_receiver() as receiver:
        yield receiver


def test_report_and_alerts_on_the_demo_warehouse(
    demo_warehouse: object,
    browser: Browser,
    tmp_path: Path,
    webhook_bodies: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    warehouse_path = Path(demo_warehouse.duckdb_path)  # type: ignore[attr-defined]
    env = dict(demo_warehouse.env)  # type: ignore[attr-defined]

    out = tmp_path / "report.html"
    done = demo_warehouse.run(sys.executable, "-m", "loader", "report", "--out", str(out))  # type: ignore[attr-defined]
    assert done.stdout == f"{out.resolve()}\n"
    page = browser.open(out.as_uri())
    assert page.console == [] and page.body.get("data-rendered") == "true"
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        total, last_day = con.execute(
            'select sum("BilledCost"), max(cast("ChargePeriodStart" as date)) from marts.fct_openai_cost'
        ).fetchone()
        expected_alerts = con.execute(
            """select
                   (select count(*) from marts.mart_spend_anomalies
                    where series_level in ('org', 'project') and spend_date >= ? - interval 7 day)
                 + (select count(*) from marts.mart_budget_thresholds as thresholds
                    inner join marts.mart_budget_status as status using (budget_id, period_start_date)
                    where status.is_current_period
                        and (thresholds.is_crossed_actual or thresholds.is_crossed_forecast))""",
            [last_day],
        ).fetchone()[0]
        # Once the loader records its runs (openai_finops_surfaces.alerts.record_run), each is an alert too.
        if con.execute(
            "select count(*) from information_schema.tables where table_name = 'loader_runs'"
        ).fetchone()[0]:
            expected_alerts += con.execute(
                "select count(*) from openai_raw.loader_runs "
                "where cast(finished_at as date) >= ? - interval 7 day",
                [last_day],
            ).fetchone()[0]
        top_project = con.execute(
            """select max(project_name) from surfaces.rpt_spend_daily
               group by project_key order by sum(billed_cost_usd) desc limit 1"""
        ).fetchone()[0]
        banded = con.execute(
            """select budget_id, forecast_low_usd, forecast_high_usd from marts.mart_budget_status
               where is_current_period and forecast_low_usd is not null order by budget_id"""
        ).fetchall()
    cents = total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert page.text["total-spend"] == f"${cents:,.2f}"
    # The project chart stacks named projects and holds the bill's total.
    marks = chart_marks(page.dom, "chart-projects")
    legend = ["".join(m.text) for m in marks if "series_legend_labels" in m.group]
    assert any(label.startswith(top_project) for label in legend), legend
    drawn = Decimal(page.attributes["chart-projects"]["data-micros"]) / 1_000_000
    assert drawn.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == cents
    # Every budget with a backtested band draws it, and its text gives the band's edges.
    assert banded, "the demo's monthly and quarterly budgets have completed periods to backtest on"
    cards = dict(card.split('"', 1) for card in page.dom.split('data-budget="')[1:])
    for budget_id, low, high in banded:
        marks = chart_marks(f'<div id="card">{cards[budget_id]}</div>', "card")
        assert [m for m in marks if "forecast_band_marks" in m.group], budget_id
        low, high = (edge.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for edge in (low, high))
        assert f"likely ${low:,.2f} to ${high:,.2f}" in page.text["budgets"], budget_id
    assert "no band: no completed year to backtest the forecast on yet" in page.text["budgets"]
    # No cloud FOCUS files in the demo: OpenAI is the whole bill, and the panel stays hidden.
    assert "hidden" in page.attributes["whole-bill"]

    # Alerts write their log into the warehouse: use a copy, other tests share the demo file.
    copy = tmp_path / "alerts.duckdb"
    shutil.copy(warehouse_path, copy)
    url, received = webhook_bodies
    config = tmp_path / "alerts.toml"
    config.write_text(
        f'[alerts]\n[alerts.channels.hook]\ntype = "webhook"\nurl = "{url}"\n'
        '[[alerts.routes]]\nchannels = ["hook"]\n',
        encoding="utf-8",
    )
    env.update(OPENAI_FINOPS_DUCKDB=str(copy), ALERTS__CHANNELS__HOOK__SECRET="demo-secret")
    command = [sys.executable, "-m", "loader", "alerts", "--config", str(config), "--today", str(last_day)]
    first = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    second = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert expected_alerts > 0
    assert len(received) == expected_alerts
    assert second.stdout.endswith("sent 0, failed 0\n")
    for headers, body in received:
        assert verify_signature(
            "demo-secret", headers["X-OpenAI-FinOps-Timestamp"], body, headers["X-OpenAI-FinOps-Signature"]
        )
        assert json.loads(body)["schema"] == "openai-finops.alert.v1"
