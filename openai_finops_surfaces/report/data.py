"""Read what the report shows from the marts and models/surfaces, as compact JSON-ready lists.

Money travels as integer micro-dollars: the browser sums integers exactly. Rounding each row to a
micro-dollar on its own would let thousands of rows drift a cent from the exact total, so the rows
of a list are rounded by their running total (`_exact_micros`): the rows of an organization, or of
a run of its days, then add up to their exact total rounded to the micro-dollar.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openai_finops_surfaces.warehouse import Warehouse

log = logging.getLogger("openai_finops_surfaces.report")

MICROS = "cast(round({} * 1000000) as bigint)"


def _exact_micros(rows_sql: str, keys: Sequence[str], amounts: Sequence[str]) -> str:
    """Select `keys` and each of `amounts` in micro-dollars, from `rows_sql` (unique on `keys`).

    Each amount is round(running total) - round(running total before the row), the running total
    ordered by the keys (organization and day first), so any run of consecutive rows sums to its
    exact total rounded once. The amounts keep their names.
    """
    order = ", ".join(f"{key} nulls first" for key in keys)
    window = f"over (order by {order} rows between unbounded preceding and current row)"
    micros = []
    for amount in amounts:
        running = f"sum({amount}) {window}"
        before = MICROS.format(f"({running} - {amount})")
        micros.append(f"{MICROS.format(f'({running})')} - {before} as {amount}")
    return f"select {', '.join([*keys, *micros])} from ({rows_sql}) as amounts"


class MissingMarts(RuntimeError):
    """The warehouse has no marts yet (run dbt build)."""


@dataclass(frozen=True)
class ReportFilter:
    orgs: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None


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


def _resolve_orgs(warehouse: Warehouse, wanted: Sequence[str]) -> tuple[str, ...]:
    """--org takes an org id or an organization name."""
    known = warehouse.rows("select distinct org_id, org_name from surfaces.rpt_spend_daily")
    resolved = []
    for item in wanted:
        matches = [org_id for org_id, name in known if item in (org_id, name)]
        if not matches:
            raise ValueError(
                f"unknown organization {item!r} (known: {', '.join(sorted(o for o, _ in known))})"
            )
        resolved += matches
    return tuple(dict.fromkeys(resolved))


def _spend(warehouse: Warehouse, selected: ReportFilter) -> dict[str, Any]:
    where, params = _where("charge_date", "org_id", selected)
    orgs = warehouse.rows(
        f"""select org_id, max(org_name) from surfaces.rpt_spend_daily
            where {where} group by org_id order by org_id""",
        params,
    )
    projects = warehouse.rows(
        f"""select project_key, coalesce(max(project_name), project_key),
                   case when count(distinct org_id) = 1 then max(org_id) end
            from surfaces.rpt_spend_daily where {where} group by project_key order by project_key""",
        params,
    )
    rows = warehouse.rows(
        _exact_micros(
            f"""select org_id, cast(charge_date as varchar) as day, project_key, cost_item,
                       sum(billed_cost_usd) as billed
                from surfaces.rpt_spend_daily where {where}
                group by org_id, charge_date, project_key, cost_item""",
            ["org_id", "day", "project_key", "cost_item"],
            ["billed"],
        )
        + " order by 2, 1, 3, 4",
        params,
    )
    tokens = warehouse.rows(
        f"""select org_id, cast(charge_date as varchar), model,
                   {MICROS.format("sum(token_billed_cost_usd)")}, cast(sum(tokens) as bigint)
            from surfaces.rpt_spend_daily
            where {where} and tokens is not null and model is not null
            group by org_id, charge_date, model
            order by 2, 1, 3""",
        params,
    )
    return {
        "orgs": [{"id": org_id, "name": name or org_id} for org_id, name in orgs],
        "projects": {key: label for key, label, _ in projects},
        # Two organizations may each have a project of the same name: labels add the org then.
        "project_orgs": {key: org_id for key, _, org_id in projects if org_id},
        "spend": [list(row) for row in rows],
        "tokens": [list(row) for row in tokens],
    }


def _anomalies(warehouse: Warehouse, selected: ReportFilter) -> list[dict[str, Any]]:
    if not warehouse.has_table("surfaces", "rpt_spend_anomalies"):
        return []
    where, params = _where("spend_date", "org_id", selected)
    return warehouse.records(
        f"""select org_id as org, coalesce(project_id, '(no project)') as project, series_level as level,
                   cast(spend_date as varchar) as day, anomaly_type as type, severity,
                   {MICROS.format("actual_cost_usd")} as actual,
                   {MICROS.format("expected_cost_usd")} as expected,
                   {MICROS.format("impact_usd")} as impact, cast(score as double precision) as score,
                   series_label as series, coalesce(drivers_named, '') as drivers
            from surfaces.rpt_spend_anomalies
            where {where} and series_level in ('org', 'project')
            order by spend_date, series_id""",
        params,
    )


def _budgets(warehouse: Warehouse, selected: ReportFilter) -> list[dict[str, Any]]:
    if not all(
        warehouse.has_table("marts", table)
        for table in ("mart_budget_status", "mart_budget_daily", "mart_budget_thresholds")
    ):
        return []
    where, params = _where("period_start_date", "org_id", ReportFilter(orgs=selected.orgs))
    budgets = warehouse.records(
        f"""select budget_id as id, budget_name as name, org_id as org, project_id as project, model,
                   budget_period as period, cast(period_start_date as varchar) as start,
                   cast(period_end_date as varchar) as "end", cast(as_of_date as varchar) as as_of,
                   {MICROS.format("budget_amount_usd")} as amount,
                   {MICROS.format("actual_to_date_usd")} as actual,
                   {MICROS.format("forecast_usd")} as forecast, forecast_method as method, status,
                   {MICROS.format("forecast_low_usd")} as forecast_low,
                   {MICROS.format("forecast_high_usd")} as forecast_high,
                   cast(forecast_error_pct as varchar) as error_pct,
                   forecast_backtest_periods as backtest_periods,
                   cast(first_loaded_date as varchar) as first_loaded,
                   case when status = 'not enough data' then status_reason end as status_reason,
                   coalesce(thresholds_crossed, '') as thresholds
            from marts.mart_budget_status
            where is_current_period and {where}
            order by org_id, budget_id""",
        params,
    )
    for budget in budgets:
        key = [budget["id"], budget["start"]]
        budget["days"] = [
            list(row)
            for row in warehouse.rows(
                f"""select cast(spend_date as varchar), {MICROS.format("budget_line_usd")},
                           {MICROS.format("cumulative_actual_usd")},
                           {MICROS.format("projected_cumulative_usd")},
                           {MICROS.format("projected_low_cumulative_usd")},
                           {MICROS.format("projected_high_cumulative_usd")}
                    from marts.mart_budget_daily
                    where budget_id = ? and cast(period_start_date as varchar) = ?
                    order by spend_date""",
                key,
            )
        ]
        budget["threshold_lines"] = [
            [float(pct), micros]
            for pct, micros in warehouse.rows(
                f"""select threshold_pct, {MICROS.format("threshold_usd")} from marts.mart_budget_thresholds
                    where budget_id = ? and cast(period_start_date as varchar) = ?
                    order by threshold_pct""",
                key,
            )
        ]
    return budgets


def _endpoints(warehouse: Warehouse, selected: ReportFilter) -> list[list[Any]]:
    if not warehouse.has_table("surfaces", "rpt_usage_daily"):
        return []
    where, params = _where("usage_date", "org_id", selected)
    return [
        list(row)
        for row in warehouse.rows(
            f"""select org_id, cast(usage_date as varchar), endpoint, input_tokens, output_tokens,
                       model_requests, requests
                from surfaces.rpt_usage_daily where {where}
                order by 2, 1, 3""",
            params,
        )
    ]


def _reconciliation(warehouse: Warehouse, selected: ReportFilter) -> list[list[Any]]:
    if not warehouse.has_table("surfaces", "rpt_reconciliation_daily"):
        return []
    where, params = _where("charge_date", "org_id", selected)
    exact = _exact_micros(
        f"""select org_id, cast(charge_date as varchar) as day, reconciliation_status,
                   reconciliation_class, billed_cost_usd as billed,
                   coalesce(usage_list_cost_usd, 0) as listed
            from surfaces.rpt_reconciliation_daily where {where}""",
        ["org_id", "day", "reconciliation_class", "reconciliation_status"],
        ["billed", "listed"],
    )
    return [
        list(row)
        for row in warehouse.rows(
            f"""select org_id, day, reconciliation_status, billed, listed, reconciliation_class
                from ({exact}) as exact order by 2, 1, 6, 3""",
            params,
        )
    ]


def _whole_bill(warehouse: Warehouse, selected: ReportFilter) -> list[list[Any]]:
    """Spend of every provider per day (mart_spend_by_provider_daily): OpenAI beside the cloud bills.

    The cloud bills have no OpenAI organization, so the organization filter does not apply here.
    """
    if not warehouse.has_table("marts", "mart_spend_by_provider_daily"):
        return []
    where, params = _where("charge_date", "'all'", ReportFilter(start=selected.start, end=selected.end))
    return [
        list(row)
        for row in warehouse.rows(
            f"""select cast(charge_date as varchar), service_provider_name, service_category,
                       billing_currency, is_openai, {MICROS.format("sum(billed_cost)")}
                from marts.mart_spend_by_provider_daily where {where}
                group by charge_date, service_provider_name, service_category, billing_currency, is_openai
                order by 1, 2, 3""",
            params,
        )
    ]


def read_report_data(warehouse: Warehouse, orgs: Sequence[str], start: date | None, end: date | None) -> dict:
    if not warehouse.has_table("surfaces", "rpt_spend_daily"):
        raise MissingMarts("no surfaces.rpt_spend_daily: run `dbt build` after loading")
    selected = ReportFilter(orgs=_resolve_orgs(warehouse, orgs), start=start, end=end)
    data = _spend(warehouse, selected)
    data.update(
        anomalies=_anomalies(warehouse, selected),
        budgets=_budgets(warehouse, selected),
        endpoints=_endpoints(warehouse, selected),
        reconciliation=_reconciliation(warehouse, selected),
        whole_bill=_whole_bill(warehouse, selected),
    )
    days = sorted({row[1] for row in data["spend"]})
    data["first_day"] = days[0] if days else None
    data["last_day"] = days[-1] if days else None
    # Today's spend is still coming in: week-over-week compares complete days only.
    complete = [budget["as_of"] for budget in data["budgets"] if budget["as_of"]]
    data["complete_through"] = min([max(complete), *days[-1:]]) if complete else data["last_day"]
    return data
