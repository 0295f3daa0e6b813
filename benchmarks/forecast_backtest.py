"""Backtest the three month-end forecast methods of the budget marts on the loaded spend.

    ./scripts/demo.sh                            # load the simulated organizations, dbt build
    .venv/bin/python benchmarks/forecast_backtest.py [--duckdb PATH] [--min-month-usd 100]
    .venv/bin/python benchmarks/forecast_backtest.py --simulated-days 365   # longer history

With `--simulated-days N` the series come straight from the simulator's ground truth (default
organizations and seed, N days of history up to `--now`) instead of a loaded warehouse: the demo
loads 90 days, which leaves a single month to backtest; the simulator's exact daily costs give
as many months as asked for. The forecasts are the same compiled SQL either way.

For every organization and project series (`int_spend_daily`, complete days) and every calendar
month fully loaded with at least 28 days of data before its 7th day, each method forecasts the
month's total at the end of days 7, 14, 21 and 28, exactly as `int_budget_forecasts` does (the
same `budget_forecasts` macro, compiled by dbt). MAPE = mean |forecast - actual| / actual over
those series-months; months under `--min-month-usd` are left out (a percentage of almost
nothing says nothing). Prints one table per level and overall, and the method with the lowest
mean MAPE over the four days, the one `budget_forecast_method` should default to.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
METHODS = {
    "run_rate": "forecast_run_rate_usd",
    "trailing_7d": "forecast_trailing_7d_usd",
    "weekday_28d": "forecast_weekday_28d_usd",
}
CHECK_DAYS = (7, 14, 21, 28)

INLINE_SQL = """
with series as (
    select
        series_id as budget_id,
        'month' as budget_period,
        spend_date,
        day_number,
        cost_usd,
        min(spend_date) over (partition by series_id) as data_first_date
    from {{ ref('int_spend_daily') }}
    where series_level in ('org', 'project') and is_complete_day
),

forecasts as (
    {{ budget_forecasts('series') }}
)

select
    forecasts.*,
    case when forecasts.budget_id like '%/%' then 'project' else 'org' end as series_level
from forecasts
"""


def compile_inline(duckdb_path: str) -> str:
    """The backtest query, compiled by dbt so it uses the project's own macro."""
    dbt = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"
    env = dict(os.environ, OPENAI_FINOPS_DUCKDB=duckdb_path, DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    with tempfile.TemporaryDirectory() as scratch:
        if not (Path(env.get("DBT_PROFILES_DIR", REPO_ROOT)) / "profiles.yml").exists():
            shutil.copy(REPO_ROOT / "profiles.example.yml", Path(scratch) / "profiles.yml")
            env["DBT_PROFILES_DIR"] = scratch
        env.setdefault("DBT_PROFILES_DIR", str(REPO_ROOT))
        env["DBT_TARGET_PATH"] = str(Path(scratch) / "target")
        env["DBT_LOG_PATH"] = str(Path(scratch) / "logs")
        result = subprocess.run(
            [dbt, "compile", "--quiet", "--inline", INLINE_SQL, "--output", "json"],
            cwd=REPO_ROOT,
            env=env,
            text=True,
            capture_output=True,
            check=False,
        )
    if result.returncode != 0:
        raise SystemExit(f"dbt compile failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout[result.stdout.index("{") :])["compiled"]


def simulated_warehouse(path: Path, days: int, now: datetime) -> None:
    """A DuckDB file with `intermediate.int_spend_daily` org and project series from ground truth."""
    from openai_simulator import Simulator, SimulatorConfig

    simulator = Simulator(SimulatorConfig(now=now, history_days=days))
    first, last = (now - timedelta(days=days)).date(), now.date() - timedelta(days=1)
    totals: dict[tuple[str, date], float] = defaultdict(float)
    for spec in simulator.organizations:
        for row in simulator.ground_truth_costs(spec.org_id, first, last + timedelta(days=1)):
            if row["date"] > last:
                continue
            totals[(spec.org_id, row["date"])] += float(row["amount"])
            totals[(f"{spec.org_id}/{row['project_id']}", row["date"])] += float(row["amount"])
    with duckdb.connect(str(path)) as con:
        con.execute("create schema intermediate")
        con.execute(
            "create table intermediate.int_spend_daily (series_level varchar, series_id varchar,"
            " spend_date date, day_number integer, cost_usd double, is_complete_day boolean)"
        )
        rows = []
        for series in sorted({series for series, _ in totals}):
            days_with_spend = sorted(day for s, day in totals if s == series)
            day = days_with_spend[0]
            while day <= last:
                rows.append(
                    (
                        "project" if "/" in series else "org",
                        series,
                        day,
                        (day - date(1970, 1, 1)).days,
                        totals.get((series, day), 0.0),
                        True,
                    )
                )
                day += timedelta(days=1)
        con.executemany("insert into intermediate.int_spend_daily values (?, ?, ?, ?, ?, ?)", rows)


def backtest(con: duckdb.DuckDBPyConnection, sql: str, min_month_usd: float) -> list[tuple]:
    """One row per series-month-check day: level, series, month, day, actual, forecasts..."""
    con.execute(f"create temp table backtest_forecasts as {sql}")
    return con.execute(
        f"""
        with months as (
            select
                budget_id,
                period_start_date,
                max(series_level) as series_level,
                max(cumulative_actual_usd) as actual_usd,
                count(*) as days_loaded,
                max(period_days) as period_days,
                min(history_days) as first_history_days
            from backtest_forecasts
            group by budget_id, period_start_date
        )
        select
            months.series_level,
            months.budget_id,
            months.period_start_date,
            forecasts.days_elapsed,
            cast(months.actual_usd as double),
            {", ".join(f"cast(forecasts.{c} as double)" for c in METHODS.values())}
        from backtest_forecasts as forecasts
        inner join months
            on
                forecasts.budget_id = months.budget_id
                and forecasts.period_start_date = months.period_start_date
        where
            months.days_loaded = months.period_days
            and months.first_history_days >= 22
            and months.actual_usd >= {float(min_month_usd)}
            and forecasts.days_elapsed in ({", ".join(str(d) for d in CHECK_DAYS)})
        order by 1, 2, 3, 4
        """
    ).fetchall()


def mape_table(rows: list[tuple], level: str | None) -> tuple[str, dict[str, float], int]:
    errors: dict[tuple[str, int], list[float]] = defaultdict(list)
    samples = set()
    for series_level, series, month, day, actual, *forecasts in rows:
        if level and series_level != level:
            continue
        samples.add((series, month))
        for method, forecast in zip(METHODS, forecasts, strict=True):
            if forecast is not None:
                errors[(method, day)].append(abs(forecast - actual) / actual * 100)
    header = "| method | " + " | ".join(f"day {d}" for d in CHECK_DAYS) + " | mean |"
    lines = [header, "|" + " --- |" * (len(CHECK_DAYS) + 2)]
    means: dict[str, float] = {}
    for method in METHODS:
        values = [
            sum(errors[(method, d)]) / len(errors[(method, d)]) if errors[(method, d)] else None
            for d in CHECK_DAYS
        ]
        known = [v for v in values if v is not None]
        means[method] = sum(known) / len(known) if known else float("inf")
        cells = " | ".join("-" if v is None else f"{v:.1f}%" for v in values)
        lines.append(f"| {method} | {cells} | {means[method]:.1f}% |")
    return "\n".join(lines), means, len(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duckdb", default=os.environ.get("OPENAI_FINOPS_DUCKDB", "warehouse/openai_finops.duckdb")
    )
    parser.add_argument("--min-month-usd", type=float, default=100.0)
    parser.add_argument("--simulated-days", type=int, help="backtest on N days of simulator ground truth")
    parser.add_argument(
        "--now", default="2026-11-25", help="the simulator's clock with --simulated-days (UTC date)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        if args.simulated_days:
            duckdb_path = str(Path(scratch) / "backtest.duckdb")
            now = datetime.combine(date.fromisoformat(args.now), datetime.min.time(), tzinfo=UTC)
            simulated_warehouse(Path(duckdb_path), args.simulated_days, now)
            print(f"simulator ground truth: {args.simulated_days} days up to {now.date()}")
        else:
            duckdb_path = str(Path(args.duckdb).resolve())
            if not Path(duckdb_path).exists():
                print(f"no warehouse at {duckdb_path}: run ./scripts/demo.sh first", file=sys.stderr)
                return 1
            print(f"warehouse {duckdb_path}")
        sql = compile_inline(duckdb_path)
        with duckdb.connect(duckdb_path, read_only=True) as con:
            rows = backtest(con, sql, args.min_month_usd)
    if not rows:
        print("no fully loaded month with 28 days of history before it: load more history", file=sys.stderr)
        return 1
    overall_means: dict[str, float] = {}
    for level in ("org", "project", None):
        table, means, samples = mape_table(rows, level)
        print(f"\nMAPE of the month-end forecast, {level or 'all'} series ({samples} series-months):")
        print(table)
        if level is None:
            overall_means = means
    best = min(overall_means, key=lambda m: overall_means[m])
    print(f"\nLowest mean MAPE over days {', '.join(map(str, CHECK_DAYS))}: {best}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
