"""Budgets and spend anomalies on a demo load: the demo budgets give every status a FinOps team
needs to see, a bad row in seeds/budgets.csv fails the build and is named, and the anomaly mart
is measured against the simulator's labelled anomalies ahead of the plain 14-day baseline, and
names the user behind an anomaly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from conftest import DemoWarehouse

REPO_ROOT = Path(__file__).resolve().parent.parent


def _query(warehouse: DemoWarehouse, sql: str, parameters: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as con:
        return con.execute(sql, parameters).fetchall()


def test_demo_budgets_cover_on_track_and_at_risk_or_over(demo_warehouse: DemoWarehouse) -> None:
    statuses = dict(
        _query(
            demo_warehouse,
            "select budget_id, status from marts.mart_budget_status where is_current_period",
        )
    )
    assert len(statuses) == 7, statuses
    assert "on track" in statuses.values()
    assert {"at risk", "over"} & set(statuses.values())


def test_budget_daily_projection_reaches_the_forecast(demo_warehouse: DemoWarehouse) -> None:
    mismatches = _query(
        demo_warehouse,
        """
        select status.budget_id, status.forecast_usd, daily.projected_cumulative_usd
        from marts.mart_budget_status as status
        inner join marts.mart_budget_daily as daily
            on daily.budget_id = status.budget_id and daily.spend_date = status.period_end_date
        where status.is_current_period
            and status.forecast_usd is distinct from daily.projected_cumulative_usd
        """,
    )
    assert mismatches == []


def test_budget_band_is_the_backtested_error_and_the_cone_ends_on_it(demo_warehouse: DemoWarehouse) -> None:
    """The band of each current period, recomputed here from the forecasts and the covered, completed
    periods of mart_budget_status: the RMS relative error of the forecasts made with as many days
    left as the as-of day has, over every completed period of that kind; forecast x (1 -/+ error),
    neither edge below the actual to date. The demo's yearly budget has no completed year (no
    band); its monthly and quarterly ones do. The cone starts after the as-of day and ends on the
    band's edges."""
    completed = _query(
        demo_warehouse,
        """
        select status.budget_id, status.budget_period, status.period_start_date,
               forecasts.days_remaining, forecasts.forecast_weekday_28d_usd, totals.cumulative_actual_usd
        from marts.mart_budget_status as status
        inner join intermediate.int_budget_forecasts as forecasts
            on forecasts.budget_id = status.budget_id
            and forecasts.period_start_date = status.period_start_date
        inner join intermediate.int_budget_forecasts as totals
            on totals.budget_id = status.budget_id and totals.spend_date = status.period_end_date
        where not status.is_current_period and status.is_period_start_loaded
            and totals.cumulative_actual_usd > 0 and forecasts.forecast_weekday_28d_usd is not null
        """,
    )
    squares: dict[tuple[str, int], list[float]] = {}
    for _, kind, _, days_remaining, forecast, actual_total in completed:
        squares.setdefault((kind, days_remaining), []).append(float(forecast / actual_total - 1) ** 2)
    current = _query(
        demo_warehouse,
        """
        select budget_id, budget_period, period_end_date - as_of_date, actual_to_date_usd, forecast_usd,
               forecast_error_pct, forecast_backtest_periods, forecast_low_usd, forecast_high_usd
        from marts.mart_budget_status where is_current_period order by budget_id
        """,
    )
    bands = {}
    for budget_id, kind, days_remaining, actual, forecast, error_pct, periods, low, high in current:
        measured = squares.get((kind, days_remaining))
        if measured is None or forecast is None:
            assert (error_pct, periods, low, high) == (None, None, None, None), budget_id
            continue
        error = (sum(measured) / len(measured)) ** 0.5
        assert periods == len(measured), budget_id
        assert abs(float(error_pct) - 100 * error) <= 0.0051, (budget_id, error_pct, error)
        expected_low = max(float(actual), float(forecast) * (1 - error))
        expected_high = max(float(actual), float(forecast) * (1 + error))
        # the error is kept to 9 decimals: at most 5e-10 of the forecast, plus the 6-decimal rounding
        tolerance = 1e-9 * float(forecast) + 1e-6
        assert abs(float(low) - expected_low) < tolerance, (budget_id, low, expected_low)
        assert abs(float(high) - expected_high) < tolerance, (budget_id, high, expected_high)
        assert actual <= low <= forecast <= high, budget_id
        bands[budget_id] = (kind, low, high)
    assert {kind for kind, _, _ in bands.values()} == {"month", "quarter"}, bands
    assert "globex-yearly" not in bands

    cone = _query(
        demo_warehouse,
        """
        select budget_id, spend_date, spend_date > (select max(as_of_date) from marts.mart_budget_status
                                                    where budget_id = daily.budget_id),
               spend_date = period_end_date, projected_cumulative_usd,
               projected_low_cumulative_usd, projected_high_cumulative_usd
        from marts.mart_budget_daily as daily order by budget_id, spend_date
        """,
    )
    ends = {}
    for budget_id, spend_date, is_projected, is_last_day, projected, cone_low, cone_high in cone:
        if budget_id not in bands or not is_projected:
            assert (cone_low, cone_high) == (None, None), (budget_id, spend_date)
            continue
        assert cone_low <= projected <= cone_high, (budget_id, spend_date)
        if is_last_day:
            ends[budget_id] = (cone_low, cone_high)
    assert ends == {budget_id: (low, high) for budget_id, (_, low, high) in bands.items()}


def test_malformed_budget_row_fails_and_an_unknown_one_warns_both_named(
    demo_warehouse: DemoWarehouse,
) -> None:
    malformed = [
        ("bad-negative", None, "month", -5, "amount must be positive"),
        ("bad-period", None, "week", 100, "period must be month, quarter or year, got week"),
    ]
    unknown = [("new-project", "proj_does_not_exist", "month", 100, "unknown project_id proj_does_not_exist")]
    org_id = _query(demo_warehouse, "select min(org_id) from marts.mart_budget_status")[0][0]
    with duckdb.connect(str(demo_warehouse.duckdb_path)) as con:
        for budget_id, project_id, period, amount, _ in malformed + unknown:
            con.execute(
                "insert into seeds.budgets (budget_id, budget_name, org_id, project_id, period, amount,"
                " currency) values (?, ?, ?, ?, ?, ?, 'USD')",
                [budget_id, budget_id, org_id, project_id, period, amount],
            )
    try:
        failed = demo_warehouse.dbt("test", "--select", "assert_budgets_seed_rows_valid", check=False)
        warned = demo_warehouse.dbt("test", "--select", "warn_budgets_seed_rows_unknown", check=False)
    finally:
        with duckdb.connect(str(demo_warehouse.duckdb_path)) as con:
            con.execute(
                "delete from seeds.budgets where budget_id in ('bad-negative', 'bad-period', 'new-project')"
            )
    assert failed.returncode != 0
    for budget_id, *_, problem in malformed:
        assert f"FAIL budgets row budget_id={budget_id}: {problem}" in failed.stdout, failed.stdout[-3000:]
    assert "new-project" not in failed.stdout  # an unknown id alone is not malformed
    assert warned.returncode == 0, warned.stdout[-3000:]
    assert f"WARN budgets row budget_id=new-project: {unknown[0][4]} in {org_id}" in warned.stdout
    assert "WARN 1 warn_budgets_seed_rows_unknown" in warned.stdout, warned.stdout[-3000:]


def test_anomaly_evaluation_beats_the_baseline_at_project_level(demo_warehouse: DemoWarehouse) -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/anomaly_evaluation.py", "--duckdb", str(demo_warehouse.duckdb_path)],
        cwd=REPO_ROOT,
        env=demo_warehouse.env,
        text=True,
        capture_output=True,
        check=True,
    )
    table = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in result.stdout.splitlines()
        if line.startswith("| ")
    ]
    header, body = table[0], table[2:]
    f1 = {(row[0], row[1]): float(row[header.index("F1")]) for row in body}
    assert "labelled anomalies" in result.stdout
    assert f1[("project", "mart_spend_anomalies")] > f1[("project", "baseline_14d_zscore")], result.stdout


def test_user_series_are_the_allocated_user_spend_and_never_flagged(demo_warehouse: DemoWarehouse) -> None:
    ((allocated, series, flagged),) = _query(
        demo_warehouse,
        """
        select
            (select sum("BilledCost") from marts.fct_openai_cost_allocated
             where "x_AllocatedUserId" is not null),
            (select sum(cost_usd) from intermediate.int_spend_daily where series_level = 'project_user'),
            (select count(*) from marts.mart_spend_anomalies where series_level = 'project_user')
        """,
    )
    assert allocated > 0
    assert series == allocated
    assert flagged == 0


def test_user_owning_the_anomalous_key_is_the_projects_top_user(demo_warehouse: DemoWarehouse) -> None:
    """Each labelled anomaly on a user's key (a new model on it, a spike, a level shift) that the
    mart flags at project level on its first day names that key's owner as the project's top
    user, and lists the user among the drivers."""
    from datetime import UTC, datetime, time

    from openai_simulator import Simulator, SimulatorConfig

    latest = _query(demo_warehouse, "select max(spend_date) from intermediate.int_spend_daily")[0][0]
    simulator = Simulator(SimulatorConfig(now=datetime.combine(latest, time(12, 0), tzinfo=UTC)))
    checked = []
    for label in simulator.labelled_anomalies():
        keys = {key.id: key for key in simulator.org(str(label["org_id"])).keys}
        key = keys.get(str(label["api_key_id"]))
        if key is None or key.owner_user_id is None:
            continue
        rows = _query(
            demo_warehouse,
            """select top_user_id, drivers from marts.mart_spend_anomalies
               where series_level = 'project' and org_id = ? and project_id = ? and spend_date = ?""",
            [label["org_id"], label["project_id"], label["start_date"]],
        )
        for top_user_id, drivers in rows:
            checked.append(label["kind"])
            assert top_user_id == key.owner_user_id, (label, drivers)
            assert f"project_user {key.owner_user_id} " in drivers, (label, drivers)
    assert checked, "no labelled anomaly on a user's key was flagged at project level on its first day"


def test_the_demo_loads_costs_from_the_start_of_its_yearly_budget(demo_warehouse: DemoWarehouse) -> None:
    """seeds/demo/budgets.csv has a yearly budget for Globex: its first load read costs from January 1,
    so the year is covered and judged; Acme's budgets are monthly and quarterly: the usual 90 days."""
    ((yearly_org, covered, status, first_loaded),) = _query(
        demo_warehouse,
        "select org_id, is_period_start_loaded, status, first_loaded_date from marts.mart_budget_status "
        "where budget_id = 'globex-yearly' and is_current_period",
    )
    orgs = "select org_id, costs_loaded_from from openai_raw.organizations"
    loaded_from = dict(_query(demo_warehouse, orgs))
    assert loaded_from[yearly_org].date() == first_loaded == first_loaded.replace(month=1, day=1)
    assert covered is True and status != "not enough data"
    assert all(value.date() > first_loaded for org, value in loaded_from.items() if org != yearly_org)
