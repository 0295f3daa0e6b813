"""Print a short human summary of the marts: the last line of the README's main command.

    python -m loader.marts_summary [--days 7]

Reads the DuckDB file named by OPENAI_FINOPS_DUCKDB (read-only) after `dbt build`.
"""

from __future__ import annotations

import os
import sys
from decimal import Decimal

import duckdb

from loader.command_line import Parser, duckdb_path_from_env


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


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def summarize(con: duckdb.DuckDBPyConnection, days: int) -> str:
    if not _has_table(con, "marts", "fct_openai_cost"):
        return "No marts yet: run `dbt build` after loading."
    window = f"""
        from marts.fct_openai_cost
        where "ChargePeriodStart" >= (select max("ChargePeriodStart") from marts.fct_openai_cost)
            - interval '{int(days) - 1} days'
    """
    first, last, total = con.execute(
        f'select min("ChargePeriodStart")::date, max("ChargePeriodStart")::date, sum("BilledCost") {window}'
    ).fetchone()
    parts = [f"OpenAI spend {first} to {last} (UTC, last {days} days loaded): {_money(total)}"]
    by_project = con.execute(
        f"""select "BillingAccountName", coalesce("SubAccountName", "SubAccountId", '(no project)'),
                   sum("BilledCost") as cost {window}
            group by all order by cost desc limit 10"""
    ).fetchall()
    parts.append(
        _table(
            "\nSpend by project:",
            ("organization", "project", "billed"),
            [(org, project, _money(cost)) for org, project, cost in by_project],
        )
    )
    by_model = con.execute(
        f"""select coalesce("x_Model", '(other: ' || "x_LineItem" || ')'), sum("BilledCost") as cost {window}
            group by all order by cost desc limit 10"""
    ).fetchall()
    parts.append(
        _table("\nSpend by model:", ("model", "billed"), [(model, _money(cost)) for model, cost in by_model])
    )
    if _has_table(con, "marts", "mart_cost_reconciliation"):
        statuses = con.execute(
            """select reconciliation_status, count(*), sum(billed_cost_usd), sum(usage_list_cost_usd),
                      sum(gap_usd)
               from marts.mart_cost_reconciliation
               group by all order by 3 desc nulls last"""
        ).fetchall()
        parts.append(
            _table(
                "\nDoes the bill match the usage? (billed vs usage x list price, all loaded days)",
                ("status", "rows", "billed", "usage x price", "gap"),
                [
                    (
                        status,
                        rows,
                        _money(billed),
                        "-" if priced is None else _money(priced),
                        "-" if gap is None else _money(gap),
                    )
                    for status, rows, billed, priced, gap in statuses
                ],
            )
        )
    if _has_table(con, "marts", "mart_budget_status"):
        budgets = con.execute(
            """select budget_name, status, actual_to_date_usd, budget_amount_usd, forecast_pct, status_reason
               from marts.mart_budget_status
               where is_current_period and status <> 'on track'
               order by status = 'not enough data', forecast_pct desc nulls last"""
        ).fetchall()
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
    if _has_table(con, "marts", "mart_spend_anomalies"):
        # The top user (whom to ask) by name when the users list has it; see mart_spend_anomalies.
        users = (
            """left join marts.dim_openai_users as users
                   on users.org_id = anomalies.org_id and users.user_id = anomalies.top_user_id"""
            if _has_table(con, "marts", "dim_openai_users")
            else ""
        )
        user_name = "users.user_name" if users else "null"
        anomalies = con.execute(
            f"""select anomalies.spend_date, anomalies.series_level, anomalies.series_id,
                   anomalies.anomaly_type, anomalies.impact_usd, anomalies.top_driver_name,
                   coalesce({user_name}, anomalies.top_user_id)
               from marts.mart_spend_anomalies as anomalies
               {users}
               where anomalies.series_level in ('org', 'project')
               order by anomalies.spend_date desc, abs(anomalies.impact_usd) desc
               limit 5"""
        ).fetchall()
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


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m loader summary", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="how many of the latest loaded days to summarize")
    args = parser.parse_args(argv)
    path = str(duckdb_path_from_env())
    if not os.path.exists(path):
        print(f"No warehouse at {path}: run `python -m loader` and `dbt build` first.", file=sys.stderr)
        return 1
    with duckdb.connect(path, read_only=True) as con:
        print(summarize(con, args.days))
    return 0


if __name__ == "__main__":
    sys.exit(main())
