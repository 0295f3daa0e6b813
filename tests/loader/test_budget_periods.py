"""The first load reads costs back to the start of each organization's longest budget period."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from loader.budget_periods import MAX_BUDGET_BACKFILL_DAYS, budget_backfill_starts, period_start

HEADER = "budget_id,budget_name,org_id,project_id,api_key_id,model,period,amount,currency,thresholds,owner\n"


def test_period_starts() -> None:
    today = date(2026, 8, 17)
    assert period_start("month", today) == date(2026, 8, 1)
    assert period_start("quarter", today) == date(2026, 7, 1)
    assert period_start("year", today) == date(2026, 1, 1)
    assert period_start("week", today) is None


def test_the_longest_period_of_each_organization_wins(tmp_path: Path) -> None:
    seed = tmp_path / "budgets.csv"
    seed.write_text(
        HEADER
        + "a-month,A,org-a,,,,month,10,USD,,\n"
        + "a-quarter,A,org-a,,,,quarter,10,USD,,\n"
        + "b-month,B,org-b,,,,month,10,USD,,\n"
        + "b-bad,B,org-b,,,,fortnight,10,USD,,\n"  # malformed: dbt's seed test names it; ignored here
        + "no-org,C,,,,,year,10,USD,,\n"
    )
    assert budget_backfill_starts(date(2026, 8, 17), seed) == {
        "org-a": date(2026, 7, 1),
        "org-b": date(2026, 8, 1),
    }


def test_the_shipped_seed_holds_no_budget_and_a_missing_one_none(tmp_path: Path) -> None:
    assert budget_backfill_starts(date(2026, 8, 17)) == {}  # seeds/budgets.csv: the header only
    assert budget_backfill_starts(date(2026, 8, 17), tmp_path / "absent.csv") == {}


def test_a_year_is_the_bound(tmp_path: Path) -> None:
    seed = tmp_path / "budgets.csv"
    seed.write_text(HEADER + "y,Y,org-y,,,,year,10,USD,,\n")
    start = budget_backfill_starts(date(2026, 12, 31), seed)["org-y"]
    assert start == date(2026, 1, 1)
    assert (date(2026, 12, 31) - start).days <= MAX_BUDGET_BACKFILL_DAYS
