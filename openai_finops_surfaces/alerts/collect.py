"""Find the alerts in the warehouse: anomalies, budget crossings (models/surfaces), load outcomes."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from openai_finops_surfaces.alerts.model import Alert
from openai_finops_surfaces.warehouse import Warehouse

log = logging.getLogger("openai_finops_surfaces.alerts")


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


def _org(org_id: str | None, name: str | None) -> str:
    if org_id is None:
        return "all organizations"
    return f"{name} ({org_id})" if name and name != org_id else org_id


def _project(project_id: str | None, name: str | None) -> str:
    if project_id is None:
        return "all projects"
    return _named(project_id, name)


def _named(item_id: str, name: str | None) -> str:
    return f"{name} ({item_id})" if name else item_id


def _rows(
    warehouse: Warehouse, table: str, what: str, clauses: str, params: Sequence[Any] = ()
) -> list[dict]:
    """`select * from <table> <clauses>`; no rows, said once, where dbt or the loader has not built
    the table yet."""
    schema, name = table.split(".")
    if not warehouse.has_table(schema, name):
        log.info("no %s yet: no %s alerts", table, what)
        return []
    return warehouse.records(f"select * from {table} {clauses}", params)


def _alert_about(
    row: dict[str, Any],
    kind: str,
    subject: str,
    day: date,
    severity: str,
    title: str,
    summary: str,
    facts: list[tuple[str, str]],
) -> Alert:
    """An alert about one row of a surfaces model: its organization and project, the row as details."""
    return Alert(
        kind=kind,
        subject=subject,
        day=day,
        severity=severity,
        title=title,
        summary=summary,
        org_id=row["org_id"],
        project_id=row["project_id"],
        facts=tuple(facts),
        details={key: _text(value) for key, value in row.items()},
        series_level=row.get("series_level"),
    )


def _anomaly_alert(row: dict[str, Any]) -> Alert:
    org = _org(row["org_id"], row["org_name"])
    project = _project(row["project_id"], row["project_name"])
    where = {
        "org": f"organization {org}",
        "project": f"project {project}",
        "project_model": f"model {row['model']} in project {project}",
        "api_key": f"API key {_named(row['api_key_id'], row['api_key_name'])} in project {project}",
    }.get(row["series_level"], row["series_label"])
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
        + (f" Drivers: {row['drivers_named']}." if row["drivers_named"] else "")
    )
    facts = [
        ("Organization", org),
        ("Day (UTC)", str(row["spend_date"])),
        ("Actual", money(row["actual_cost_usd"])),
        ("Expected", money(row["expected_cost_usd"])),
        ("Impact", signed_money(row["impact_usd"])),
        ("Severity", row["severity"]),
    ]
    if row["project_id"]:
        facts.insert(1, ("Project", project))
    if row["score"] is not None:
        facts.append(("Score", str(row["score"])))
    if row["drivers_named"]:
        facts.append(("Drivers", row["drivers_named"]))
    return _alert_about(
        row, "anomaly", row["series_id"], row["spend_date"], row["severity"], title, summary, facts
    )


def _budget_severity(kind: str, threshold_pct: Decimal) -> str:
    if kind == "budget_actual":
        return "high" if threshold_pct >= 100 else "medium" if threshold_pct >= 80 else "low"
    return "medium" if threshold_pct >= 100 else "low"


def _budget_alert(row: dict[str, Any]) -> Alert:
    kind = row["alert_kind"]
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
        ("Organization", _org(row["org_id"], row["org_name"])),
        ("Project", _project(row["project_id"], row["project_name"])),
        ("Period", f"{row['period_start_date']} to {row['period_end_date']}"),
        ("Amount", money(row["budget_amount_usd"])),
        ("Actual to date", f"{money(row['actual_to_date_usd'])} ({percent(row['actual_pct'])})"),
        ("Forecast", f"{money(row['forecast_usd'])} ({percent(row['forecast_pct'])})"),
        ("Threshold", f"{pct} = {money(row['threshold_usd'])}"),
        ("Status", row["status"]),
    ]
    if row["owner"]:
        facts.append(("Owner", row["owner"]))
    subject = f"{row['budget_id']}@{Decimal(row['threshold_pct']).normalize():f}"
    severity = _budget_severity(kind, row["threshold_pct"])
    return _alert_about(row, kind, subject, row["period_start_date"], severity, title, summary, facts)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _load_run_alert(row: dict[str, Any]) -> Alert:
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
    return Alert(
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


def collect_alerts(warehouse: Warehouse, today: date, lookback_days: int) -> list[Alert]:
    """Every alert the warehouse holds now; which of them are new is the alert log's business.

    Load outcomes and anomalies of the last `lookback_days`; every budget threshold crossed in a
    current period (which ones: models/surfaces/rpt_budget_alerts.sql).
    """
    since = today - timedelta(days=lookback_days)
    runs = _rows(
        warehouse,
        "openai_raw.loader_runs",
        "load outcome",
        "where cast(finished_at as date) >= ? order by finished_at, run_id",
        [since],
    )
    budgets = _rows(warehouse, "surfaces.rpt_budget_alerts", "budget", "order by budget_id, threshold_pct")
    anomalies = _rows(
        warehouse,
        "surfaces.rpt_spend_anomalies",
        "anomaly",
        "where spend_date >= ? order by spend_date, series_id",
        [since],
    )
    return [
        *(_load_run_alert(row) for row in runs),
        *(_budget_alert(row) for row in budgets),
        *(_anomaly_alert(row) for row in anomalies),
    ]
