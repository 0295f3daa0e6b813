"""Read what the report shows from the marts, as compact JSON-ready lists.

Money travels as integer micro-dollars (round(usd * 1e6)): the browser sums integers exactly, so
the totals it renders equal the marts' to the cent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

log = logging.getLogger("loader.report")

MICROS = "cast(round({} * 1000000) as bigint)"


class MissingMarts(RuntimeError):
    """The warehouse has no marts yet (run dbt build)."""


@dataclass(frozen=True)
class ReportFilter:
    orgs: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = ?",
        [name],
    ).fetchone()
    return bool(found and found[0])


def _where(column: str, org_column: str, selected: ReportFilter) -> tuple[str, list[Any]]:
    clauses, params = ["true"], []
    if selected.orgs:
        clauses.append(f"{org_column} in ({', '.join('?' * len(selected.orgs))})")
        params += list(selected.orgs)
    if selected.start:
        clauses.append(f"{column} >= ?")
        params.append(selected.start)
    if selected.end:
        clauses.append(f"{column} <= ?")
        params.append(selected.end)
    return " and ".join(clauses), params


def _resolve_orgs(con: duckdb.DuckDBPyConnection, wanted: Sequence[str]) -> tuple[str, ...]:
    """--org takes an org id or an organization name."""
    known = con.execute(
        'select distinct "BillingAccountId", "BillingAccountName" from marts.fct_openai_cost'
    ).fetchall()
    resolved = []
    for item in wanted:
        matches = [org_id for org_id, name in known if item in (org_id, name)]
        if not matches:
            raise ValueError(
                f"unknown organization {item!r} (known: {', '.join(sorted(o for o, _ in known))})"
            )
        resolved += matches
    return tuple(dict.fromkeys(resolved))


def _spend(con: duckdb.DuckDBPyConnection, selected: ReportFilter) -> dict[str, Any]:
    where, params = _where('cast("ChargePeriodStart" as date)', '"BillingAccountId"', selected)
    orgs = con.execute(
        f"""select "BillingAccountId", max("BillingAccountName") from marts.fct_openai_cost
            where {where} group by 1 order by 1""",
        params,
    ).fetchall()
    projects = con.execute(
        f"""select coalesce("SubAccountId", '(no project)'),
                   coalesce(max("SubAccountName"), "SubAccountId", '(no project)'),
                   case when count(distinct "BillingAccountId") = 1 then max("BillingAccountId") end
            from marts.fct_openai_cost where {where} group by "SubAccountId" order by 1""",
        params,
    ).fetchall()
    rows = con.execute(
        f"""select "BillingAccountId", cast(cast("ChargePeriodStart" as date) as varchar),
                   coalesce("SubAccountId", '(no project)'),
                   coalesce("x_Model", "x_LineItem", "ChargeCategory"),
                   {MICROS.format('sum("BilledCost")')}
            from marts.fct_openai_cost where {where}
            group by all order by 2, 1, 3, 4""",
        params,
    ).fetchall()
    tokens = con.execute(
        f"""select "BillingAccountId", cast(cast("ChargePeriodStart" as date) as varchar), "x_Model",
                   {MICROS.format('sum("BilledCost")')}, cast(sum("ConsumedQuantity") as bigint)
            from marts.fct_openai_cost
            where {where} and "ConsumedUnit" = 'Tokens' and "x_Model" is not null
            group by all order by 2, 1, 3""",
        params,
    ).fetchall()
    return {
        "orgs": [{"id": org_id, "name": name or org_id} for org_id, name in orgs],
        "projects": {key: label for key, label, _ in projects},
        # Two organizations may each have a project of the same name: labels add the org then.
        "project_orgs": {key: org_id for key, _, org_id in projects if org_id},
        "spend": [list(row) for row in rows],
        "tokens": [list(row) for row in tokens],
    }


def _anomalies(con: duckdb.DuckDBPyConnection, selected: ReportFilter) -> list[dict[str, Any]]:
    if not _exists(con, "mart_spend_anomalies"):
        return []
    where, params = _where("spend_date", "org_id", selected)
    cursor = con.execute(
        f"""select org_id as org, coalesce(project_id, '(no project)') as project, series_level as level,
                   cast(spend_date as varchar) as day, anomaly_type as type, severity,
                   {MICROS.format("actual_cost_usd")} as actual,
                   {MICROS.format("expected_cost_usd")} as expected,
                   {MICROS.format("impact_usd")} as impact, cast(score as double) as score,
                   coalesce(drivers, '') as drivers
            from marts.mart_spend_anomalies
            where {where} and series_level in ('org', 'project')
            order by spend_date, series_id""",
        params,
    )
    columns = [item[0] for item in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _budgets(con: duckdb.DuckDBPyConnection, selected: ReportFilter) -> list[dict[str, Any]]:
    if not (_exists(con, "mart_budget_status") and _exists(con, "mart_budget_daily")):
        return []
    where, params = _where("period_start_date", "org_id", ReportFilter(orgs=selected.orgs))
    cursor = con.execute(
        f"""select budget_id as id, budget_name as name, org_id as org, project_id as project, model,
                   budget_period as period, cast(period_start_date as varchar) as start,
                   cast(period_end_date as varchar) as "end", cast(as_of_date as varchar) as as_of,
                   {MICROS.format("budget_amount_usd")} as amount,
                   {MICROS.format("actual_to_date_usd")} as actual,
                   {MICROS.format("forecast_usd")} as forecast, forecast_method as method, status,
                   coalesce(thresholds_crossed, '') as thresholds
            from marts.mart_budget_status
            where is_current_period and {where}
            order by org_id, budget_id""",
        params,
    )
    columns = [item[0] for item in cursor.description]
    budgets = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for budget in budgets:
        budget["days"] = [
            list(row)
            for row in con.execute(
                f"""select cast(spend_date as varchar), {MICROS.format("budget_line_usd")},
                           {MICROS.format("cumulative_actual_usd")},
                           {MICROS.format("projected_cumulative_usd")}
                    from marts.mart_budget_daily
                    where budget_id = ? and cast(period_start_date as varchar) = ?
                    order by spend_date""",
                [budget["id"], budget["start"]],
            ).fetchall()
        ]
    return budgets


def _endpoints(con: duckdb.DuckDBPyConnection, selected: ReportFilter) -> list[list[Any]]:
    if not _exists(con, "fct_openai_usage"):
        return []
    where, params = _where("usage_date", "org_id", selected)
    return [
        list(row)
        for row in con.execute(
            f"""select org_id, cast(usage_date as varchar), endpoint,
                       cast(coalesce(sum(input_tokens), 0) as bigint),
                       cast(coalesce(sum(output_tokens), 0) as bigint),
                       cast(coalesce(sum(num_model_requests), 0) as bigint),
                       cast(coalesce(sum(num_requests), 0) as bigint)
                from marts.fct_openai_usage where {where}
                group by all order by 2, 1, 3""",
            params,
        ).fetchall()
    ]


def _reconciliation(con: duckdb.DuckDBPyConnection, selected: ReportFilter) -> list[list[Any]]:
    if not _exists(con, "mart_cost_reconciliation"):
        return []
    where, params = _where("charge_date", "org_id", selected)
    return [
        list(row)
        for row in con.execute(
            f"""select org_id, cast(charge_date as varchar), reconciliation_status,
                       {MICROS.format("sum(billed_cost_usd)")},
                       {MICROS.format("coalesce(sum(usage_list_cost_usd), 0)")}
                from marts.mart_cost_reconciliation where {where}
                group by all order by 2, 1, 3""",
            params,
        ).fetchall()
    ]


def read_report_data(
    con: duckdb.DuckDBPyConnection, orgs: Sequence[str], start: date | None, end: date | None
) -> dict:
    if not _exists(con, "fct_openai_cost"):
        raise MissingMarts("no marts.fct_openai_cost: run `dbt build` after loading")
    selected = ReportFilter(orgs=_resolve_orgs(con, orgs), start=start, end=end)
    data = _spend(con, selected)
    data.update(
        anomalies=_anomalies(con, selected),
        budgets=_budgets(con, selected),
        endpoints=_endpoints(con, selected),
        reconciliation=_reconciliation(con, selected),
    )
    days = sorted({row[1] for row in data["spend"]})
    data["first_day"] = days[0] if days else None
    data["last_day"] = days[-1] if days else None
    # Today's spend is still coming in: week-over-week compares complete days only.
    complete = [budget["as_of"] for budget in data["budgets"] if budget["as_of"]]
    data["complete_through"] = min([max(complete), *days[-1:]]) if complete else data["last_day"]
    return data
