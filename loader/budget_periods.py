"""How far back costs must go on a first load for every budget to know its current period.

A yearly budget judged on the last 90 days says "on track" about a quarter of its year. On the
first load of an organization (no loader state yet), costs are read from the start of the current
period of its longest budget in seeds/budgets.csv (month, quarter or year, UTC), never more than
MAX_BUDGET_BACKFILL_DAYS back, when that is earlier than the usual backfill. Usage keeps its own
backfill: budgets are judged on costs only.
"""

from __future__ import annotations

import csv
import logging
from datetime import date, timedelta
from pathlib import Path

log = logging.getLogger("loader")

BUDGETS_SEED = Path(__file__).resolve().parent.parent / "seeds" / "budgets.csv"
DEMO_BUDGETS_SEED = BUDGETS_SEED.parent / "demo" / "budgets.csv"  # the --demo's (dbt var demo)
# A year and a day: a yearly budget's period start is at most 365 days before today.
MAX_BUDGET_BACKFILL_DAYS = 366


def period_start(period: str, today: date) -> date | None:
    if period == "month":
        return today.replace(day=1)
    if period == "quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if period == "year":
        return date(today.year, 1, 1)
    return None  # a malformed period: dbt's seed test names the row


def budget_backfill_starts(today: date, seed: Path = BUDGETS_SEED) -> dict[str, date]:
    """Per organization id, the start of its longest budget's current period (bounded)."""
    if not seed.exists():
        return {}
    bound = today - timedelta(days=MAX_BUDGET_BACKFILL_DAYS)
    starts: dict[str, date] = {}
    try:
        with seed.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, csv.Error, UnicodeDecodeError) as error:
        log.warning("%s: cannot read it (%s); costs use the usual backfill", seed, error)
        return {}
    for row in rows:
        org_id = (row.get("org_id") or "").strip()
        start = period_start((row.get("period") or "").strip(), today)
        if org_id and start is not None:
            starts[org_id] = max(bound, min(start, starts.get(org_id, start)))
    return starts
