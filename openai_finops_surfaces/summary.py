"""`python -m loader summary`: a short human summary of the marts, the last step of the main command.

Reads the warehouse of the dbt profile's target (models/surfaces, marts) after `dbt build`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from decimal import Decimal

from openai_finops_surfaces.warehouse import (
    NoWarehouse,
    Warehouse,
    WarehouseConfigError,
    WarehouseError,
    target_from_profile,
)


def _money(value: Decimal | None) -> str:
    amount = value or Decimal(0)
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def _table(title: str, header: tuple[str, ...], rows: list[tuple]) -> str:
    cells = [header, *[tuple(str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title]
    for index, row in enumerate(cells):
        lines.append(
            "  "
            + "  ".join(
                c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if index == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _reconciliation(warehouse: Warehouse) -> str:
    """The unexplained difference first (the gap of reconcilable lines plus the spend of
    unexplained ones), then spend by class and status."""
    rows = warehouse.rows(
        """select reconciliation_class, reconciliation_status, sum(reconciliation_rows),
                  sum(billed_cost_usd), sum(usage_list_cost_usd), sum(gap_usd)
           from surfaces.rpt_reconciliation_daily
           group by reconciliation_class, reconciliation_status
           order by 1, 4 desc, 2"""
    )
    billed = {klass: Decimal(0) for klass in ("reconcilable", "explained", "usage_not_loaded", "unexplained")}
    gap = Decimal(0)
    for klass, _, _, billed_usd, _, gap_usd in rows:
        billed[klass] += billed_usd or 0
        if klass == "reconcilable":
            gap += gap_usd or 0
    unexplained = gap + billed["unexplained"]
    share = (
        f" ({unexplained * 100 / billed['reconcilable']:+.2f}% of reconcilable spend)"
        if billed["reconcilable"]
        else ""
    )
    headline = (
        f"\nDoes the bill match the usage? Unexplained difference {_signed(unexplained)}{share}: "
        f"billed - usage x list price on reconcilable lines {_signed(gap)}, plus "
        f"{_money(billed['unexplained'])} billed without usage or list price where there should be one. "
        f"Beside it: reconcilable spend {_money(billed['reconcilable'])}, explained spend "
        f"{_money(billed['explained'])} (no usage by nature: fine-tuning training, storage, evals), "
        f"spend of days without usage loaded {_money(billed['usage_not_loaded'])}."
    )
    table = _table(
        "All loaded days, by class and status:",
        ("class", "status", "rows", "billed", "usage x price", "gap"),
        [
            (
                klass,
                status,
                count,
                _money(billed_usd),
                "-" if priced is None else _money(priced),
                "-" if gap_usd is None else _money(gap_usd),
            )
            for klass, status, count, billed_usd, priced, gap_usd in rows
        ],
    )
    return headline + "\n" + table


def _signed(value: Decimal) -> str:
    return ("+" if value >= 0 else "") + _money(value)


def summarize(warehouse: Warehouse, days: int) -> str:
    if not warehouse.has_table("surfaces", "rpt_spend_daily"):
        return "No marts yet: run `dbt build` after loading."
    ((first_loaded, last),) = warehouse.rows(
        "select min(charge_date), max(charge_date) from surfaces.rpt_spend_daily"
    )
    if last is None:
        return "No spend loaded yet."
    since = max(first_loaded, last - timedelta(days=days - 1))
    window = "from surfaces.rpt_spend_daily where charge_date >= ?"
    ((total,),) = warehouse.rows(f"select sum(billed_cost_usd) {window}", [since])
    parts = [f"OpenAI spend {since} to {last} (UTC, last {days} days loaded): {_money(total)}"]
    by_project = warehouse.rows(
        f"""select coalesce(org_name, org_id), coalesce(project_name, project_key),
                   sum(billed_cost_usd) as cost
            {window}
            group by coalesce(org_name, org_id), coalesce(project_name, project_key)
            order by cost desc, 1, 2 limit 10""",
        [since],
    )
    parts.append(
        _table(
            "\nSpend by project:",
            ("organization", "project", "billed"),
            [(org, project, _money(cost)) for org, project, cost in by_project],
        )
    )
    by_model = warehouse.rows(
        f"""select coalesce(model, '(other: ' || line_item || ')') as label, sum(billed_cost_usd) as cost
            {window}
            group by coalesce(model, '(other: ' || line_item || ')')
            order by cost desc, 1 limit 10""",
        [since],
    )
    parts.append(
        _table("\nSpend by model:", ("model", "billed"), [(model, _money(cost)) for model, cost in by_model])
    )
    if warehouse.has_table("surfaces", "rpt_reconciliation_daily"):
        parts.append(_reconciliation(warehouse))
    if warehouse.has_table("marts", "mart_budget_status"):
        budgets = warehouse.rows(
            """select budget_name, status, actual_to_date_usd, budget_amount_usd, forecast_pct, status_reason
               from marts.mart_budget_status
               where is_current_period and status <> 'on track'
               order by case when status = 'not enough data' then 1 else 0 end,
                   case when forecast_pct is null then 1 else 0 end, forecast_pct desc, budget_name"""
        )
        reasons = [f"  {name}: {reason}" for name, *_, reason in budgets if reason]
        parts.append(
            _table(
                "\nBudgets at risk, over or without enough data (current period):",
                ("budget", "status", "actual", "budget", "forecast"),
                [
                    (name, status, _money(actual), _money(amount), "-" if pct is None else f"{pct:.0f}%")
                    for name, status, actual, amount, pct, _ in budgets
                ],
            )
            + "".join(f"\n{line}" for line in reasons)
            if budgets
            else "\nBudgets: every current budget is on track."
        )
    if warehouse.has_table("surfaces", "rpt_spend_anomalies"):
        # Series, top driver and top user (whom to ask) by name, with a short id (rpt_spend_anomalies).
        anomalies = warehouse.rows(
            """select spend_date, series_level, series_label, anomaly_type, impact_usd, top_driver_label,
                   coalesce(top_user_name, top_user_id)
               from surfaces.rpt_spend_anomalies
               where series_level in ('org', 'project')
               order by spend_date desc,
                   case when impact_usd < 0 then -impact_usd else impact_usd end desc, series_id
               limit 5"""
        )
        parts.append(
            _table(
                "\nLatest spend anomalies (organization and project level):",
                ("day", "level", "series", "type", "impact", "top driver", "top user"),
                [
                    (day, level, series, kind, _money(impact), driver or "-", user or "-")
                    for day, level, series, kind, impact, driver, user in anomalies
                ],
            )
        )
    return "\n".join(parts)


def run(args: argparse.Namespace) -> int:
    try:
        with Warehouse.open(target_from_profile(args.target, args.profiles_dir), read_only=True) as warehouse:
            if not warehouse.has_table("surfaces", "rpt_spend_daily"):
                print(
                    "python -m loader summary: error: no marts yet: run `dbt build` after loading",
                    file=sys.stderr,
                )
                return 1
            print(summarize(warehouse, args.days))
    except (NoWarehouse, WarehouseError) as error:
        print(f"python -m loader summary: error: {error}", file=sys.stderr)
        return 1
    except WarehouseConfigError as error:
        print(f"python -m loader summary: error: {error}", file=sys.stderr)
        return 2
    return 0
