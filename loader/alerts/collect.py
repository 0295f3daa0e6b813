"""Find the alerts in the marts: anomalies, budget threshold crossings, loader run outcomes."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from loader.alerts.model import Alert

log = logging.getLogger("loader.alerts")


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    columns = [item[0] for item in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def money(value: Decimal | float | None) -> str:
    if value is None:
        return "n/a"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(Decimal(value)):,.2f}"


def signed_money(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    return ("+" if value >= 0 else "") + money(value)


def percent(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    return f"{Decimal(value).normalize():f}%"


def _text(value: Any) -> Any:
    """JSON-safe without loss: decimals and dates as strings, the rest as they are."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class Names:
    """Organization and project names for messages, when the marts that hold them exist."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.orgs: dict[str, str] = {}
        self.projects: dict[tuple[str, str], str] = {}
        if table_exists(con, "marts", "fct_openai_cost"):
            self.orgs = dict(
                con.execute(
                    'select "BillingAccountId", max("BillingAccountName") '
                    "from marts.fct_openai_cost group by 1"
                ).fetchall()
            )
        if table_exists(con, "marts", "dim_openai_projects"):
            for org_id, project_id, name in con.execute(
                "select org_id, project_id, project_name from marts.dim_openai_projects"
            ).fetchall():
                if name:
                    self.projects[(org_id, project_id)] = name

    def org(self, org_id: str | None) -> str:
        if org_id is None:
            return "all organizations"
        name = self.orgs.get(org_id)
        return f"{name} ({org_id})" if name and name != org_id else org_id

    def project(self, org_id: str | None, project_id: str | None) -> str:
        if project_id is None:
            return "all projects"
        name = self.projects.get((org_id or "", project_id))
        return f"{name} ({project_id})" if name else project_id


def anomaly_alerts(con: duckdb.DuckDBPyConnection, since: date, names: Names) -> list[Alert]:
    if not table_exists(con, "marts", "mart_spend_anomalies"):
        log.info("no marts.mart_spend_anomalies yet: no anomaly alerts")
        return []
    alerts = []
    for row in _rows(
        con,
        "select * from marts.mart_spend_anomalies where spend_date >= ? order by spend_date, series_id",
        [since],
    ):
        project = names.project(row["org_id"], row["project_id"])
        where = {
            "org": f"organization {names.org(row['org_id'])}",
            "project": f"project {project}",
            "project_model": f"model {row['model']} in project {project}",
            "api_key": f"API key {row['api_key_id']} in project {project}",
        }.get(row["series_level"], row["series_id"])
        what = {"spike": "Spend spike", "drop": "Spend drop", "new_series": "New spend"}.get(
            row["anomaly_type"], "Spend anomaly"
        )
        title = f"{what}: {where} on {row['spend_date']}"
        summary = (
            f"{money(row['actual_cost_usd'])} billed against {money(row['expected_cost_usd'])} expected "
            f"({signed_money(row['impact_usd'])}"
            + (
                f", {'+' if row['impact_pct'] >= 0 else ''}{percent(row['impact_pct'])}"
                if row["impact_pct"] is not None
                else ""
            )
            + ")."
            + (f" Drivers: {row['drivers']}." if row["drivers"] else "")
        )
        facts = [
            ("Organization", names.org(row["org_id"])),
            ("Day (UTC)", str(row["spend_date"])),
            ("Actual", money(row["actual_cost_usd"])),
            ("Expected", money(row["expected_cost_usd"])),
            ("Impact", signed_money(row["impact_usd"])),
            ("Severity", row["severity"]),
        ]
        if row["project_id"]:
            facts.insert(1, ("Project", names.project(row["org_id"], row["project_id"])))
        if row["score"] is not None:
            facts.append(("Score", str(row["score"])))
        if row["drivers"]:
            facts.append(("Drivers", row["drivers"]))
        alerts.append(
            Alert(
                kind="anomaly",
                subject=row["series_id"],
                day=row["spend_date"],
                severity=row["severity"],
                title=title,
                summary=summary,
                org_id=row["org_id"],
                project_id=row["project_id"],
                facts=tuple(facts),
                details={key: _text(value) for key, value in row.items()},
                series_level=row["series_level"],
            )
        )
    return alerts


def _budget_severity(kind: str, threshold_pct: Decimal) -> str:
    if kind == "budget_actual":
        return "high" if threshold_pct >= 100 else "medium" if threshold_pct >= 80 else "low"
    return "medium" if threshold_pct >= 100 else "low"


def budget_alerts(con: duckdb.DuckDBPyConnection, names: Names) -> list[Alert]:
    """Thresholds crossed in each budget's current period: by actual spend, or by the forecast.

    A threshold already crossed by actual spend is not also reported as forecast to cross.
    """
    if not (
        table_exists(con, "marts", "mart_budget_thresholds")
        and table_exists(con, "marts", "mart_budget_status")
    ):
        log.info("no budget marts yet: no budget alerts")
        return []
    rows = _rows(
        con,
        """
        select
            thresholds.threshold_pct, thresholds.threshold_usd,
            thresholds.is_crossed_actual, thresholds.actual_crossed_on,
            thresholds.is_crossed_forecast, thresholds.forecast_crossed_on,
            status.*
        from marts.mart_budget_thresholds as thresholds
        inner join marts.mart_budget_status as status
            on thresholds.budget_id = status.budget_id
            and thresholds.period_start_date = status.period_start_date
        where status.is_current_period
            -- a forecast from part of a period ("not enough data") is no forecast; actual is a fact
            and (
                thresholds.is_crossed_actual
                or (thresholds.is_crossed_forecast and status.status <> 'not enough data')
            )
        order by status.budget_id, thresholds.threshold_pct
        """,
        [],
    )
    alerts = []
    for row in rows:
        kind = "budget_actual" if row["is_crossed_actual"] else "budget_forecast"
        pct = percent(row["threshold_pct"])
        if kind == "budget_actual":
            title = (
                f"Budget {row['budget_name']}: actual spend crossed {pct} "
                f"({money(row['threshold_usd'])} of {money(row['budget_amount_usd'])}) "
                f"on {row['actual_crossed_on']}"
            )
        else:
            title = (
                f"Budget {row['budget_name']}: forecast {money(row['forecast_usd'])} crosses {pct} "
                f"of {money(row['budget_amount_usd'])} (forecast since {row['forecast_crossed_on']})"
            )
        summary = (
            f"{row['budget_period'].capitalize()} {row['period_start_date']} to {row['period_end_date']}: "
            f"{money(row['actual_to_date_usd'])} spent to {row['as_of_date']} "
            f"({percent(row['actual_pct'])}), forecast {money(row['forecast_usd'])} "
            f"({percent(row['forecast_pct'])}, {row['forecast_method']}); "
            f"status {row['status']}."
        )
        facts = [
            ("Budget", f"{row['budget_name']} ({row['budget_id']})"),
            ("Organization", names.org(row["org_id"])),
            ("Project", names.project(row["org_id"], row["project_id"])),
            ("Period", f"{row['period_start_date']} to {row['period_end_date']}"),
            ("Amount", money(row["budget_amount_usd"])),
            ("Actual to date", f"{money(row['actual_to_date_usd'])} ({percent(row['actual_pct'])})"),
            ("Forecast", f"{money(row['forecast_usd'])} ({percent(row['forecast_pct'])})"),
            ("Threshold", f"{pct} = {money(row['threshold_usd'])}"),
            ("Status", row["status"]),
        ]
        if row["owner"]:
            facts.append(("Owner", row["owner"]))
        alerts.append(
            Alert(
                kind=kind,
                subject=f"{row['budget_id']}@{Decimal(row['threshold_pct']).normalize():f}",
                day=row["period_start_date"],
                severity=_budget_severity(kind, row["threshold_pct"]),
                title=title,
                summary=summary,
                org_id=row["org_id"],
                project_id=row["project_id"],
                facts=tuple(facts),
                details={key: _text(value) for key, value in row.items()},
            )
        )
    return alerts


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def load_run_alerts(con: duckdb.DuckDBPyConnection, since: date) -> list[Alert]:
    if not table_exists(con, "openai_raw", "loader_runs"):
        log.info("no openai_raw.loader_runs yet: no load outcome alerts")
        return []
    alerts = []
    for row in _rows(
        con,
        "select * from openai_raw.loader_runs where cast(finished_at as date) >= ? "
        "order by finished_at, run_id",
        [since],
    ):
        tables = json.loads(row["tables_json"] or "{}")
        organizations = [org for org in (row["organizations"] or "").split(",") if org]
        took = _duration((row["finished_at"] - row["started_at"]).total_seconds())
        if row["status"] == "succeeded":
            title = f"Load finished: {row['rows_loaded']:,} rows into {len(tables)} tables in {took}"
            summary = f"Scheduled load {row['run_id']} finished for {', '.join(organizations) or 'none'}."
            severity = "info"
        else:
            label = "partly failed" if row["status"] == "partial" else "failed"
            title = f"Load {label}: {row['error'] or 'unknown error'}"
            summary = (
                f"Scheduled load {row['run_id']} {label} after {took}; "
                f"{row['rows_loaded']:,} rows loaded. Error: {row['error'] or 'unknown'}."
            )
            severity = "medium" if row["status"] == "partial" else "high"
        facts = [
            ("Run", row["run_id"]),
            ("Status", row["status"]),
            ("Organizations", ", ".join(organizations) or "none"),
            ("Started (UTC)", row["started_at"].strftime("%Y-%m-%d %H:%M:%S")),
            ("Duration", took),
            ("Rows loaded", f"{row['rows_loaded']:,}"),
        ]
        facts += [(f"Table {name}", f"{count:,}") for name, count in sorted(tables.items())]
        if row["error"]:
            facts.append(("Error", row["error"]))
        alerts.append(
            Alert(
                kind="load_run",
                subject=row["run_id"],
                day=row["finished_at"].date(),
                severity=severity,
                title=title,
                summary=summary,
                org_id=organizations[0] if len(organizations) == 1 else None,
                facts=tuple(facts),
                details={
                    "run_id": row["run_id"],
                    "status": row["status"],
                    "organizations": organizations,
                    "started_at": _text(row["started_at"]),
                    "finished_at": _text(row["finished_at"]),
                    "rows_loaded": row["rows_loaded"],
                    "tables": tables,
                    "error": row["error"],
                },
            )
        )
    return alerts


def collect_alerts(con: duckdb.DuckDBPyConnection, today: date, lookback_days: int) -> list[Alert]:
    """Every alert the marts hold now; which of them are new is the alert log's business."""
    since = today - timedelta(days=lookback_days)
    names = Names(con)
    return [*load_run_alerts(con, since), *budget_alerts(con, names), *anomaly_alerts(con, since, names)]
