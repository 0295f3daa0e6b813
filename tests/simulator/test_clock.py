"""The clock: a partial current day, final past hours, and restated recent costs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from openai_simulator import Simulator, SimulatorConfig

from .support import DAY, NOW, NOW_TS, Client

COMPLETIONS_DIMS = ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"]


def test_today_is_partial_and_completed_hours_stay_final(fresh: tuple) -> None:
    sim, server = fresh
    c = Client(server, sim.organizations[0].admin_key)
    today = NOW_TS - NOW_TS % DAY
    before = c.ok(
        "/organization/usage/completions", start_time=today, bucket_width="1h", group_by=COMPLETIONS_DIMS
    )
    assert [b["start_time"] for b in before["data"]] == [today + h * 3600 for h in range(10)]
    assert before["data"][-1]["end_time"] == NOW_TS  # 09:00-09:30, still filling
    sim.advance(hours=5)
    assert sim.now == NOW + timedelta(hours=5)
    after = c.ok(
        "/organization/usage/completions", start_time=today, bucket_width="1h", group_by=COMPLETIONS_DIMS
    )
    assert len(after["data"]) == 15 and after["data"][-1]["end_time"] == NOW_TS + 5 * 3600
    assert after["data"][:9] == before["data"][:9]  # completed hours never change
    partial = {r["api_key_id"]: r["num_model_requests"] for r in before["data"][9]["results"]}
    full = {r["api_key_id"]: r["num_model_requests"] for r in after["data"][9]["results"]}
    assert sum(full.values()) > sum(partial.values()) > 0
    assert all(full[k] >= v for k, v in partial.items())


def test_set_now_moves_the_end_of_data(fresh: tuple) -> None:
    sim, server = fresh
    c = Client(server, sim.organizations[0].admin_key)
    sim.set_now(datetime(2026, 3, 12, 0, 0, tzinfo=UTC))
    body = c.ok("/organization/usage/embeddings", start_time=NOW_TS - NOW_TS % DAY)
    assert [b["end_time"] for b in body["data"]] == [
        NOW_TS - NOW_TS % DAY + DAY,
        NOW_TS - NOW_TS % DAY + 2 * DAY,
    ]
    assert sim.advance(days=1, hours=2) == datetime(2026, 3, 13, 2, 0, tzinfo=UTC)


def _day_total(sim: Simulator, org: str, d: date) -> Decimal:
    return sum((g["amount"] for g in sim.ground_truth_costs(org, d, d)), Decimal(0))


def test_recent_costs_are_restated_until_final() -> None:
    sim = Simulator(SimulatorConfig(seed=7, now=NOW))
    org = sim.organizations[0].org_id
    d = date(2026, 3, 5)
    totals = []
    for age in range(6):
        sim.set_now(datetime(2026, 3, 5, 23, 0, tzinfo=UTC) + timedelta(days=age))
        totals.append(_day_total(sim, org, d))
    final = totals[3]
    assert totals[3] == totals[4] == totals[5]
    assert totals[0] < totals[1] < totals[2] < final
    assert final * Decimal("0.85") < totals[1]
    # the rows change too, not only the total
    sim.set_now(datetime(2026, 3, 6, 12, tzinfo=UTC))
    provisional = {
        (g["project_id"], g["line_item"], g["api_key_id"]): g["quantity"]
        for g in sim.ground_truth_costs(org, d, d)
    }
    sim.set_now(datetime(2026, 3, 9, 12, tzinfo=UTC))
    settled = {
        (g["project_id"], g["line_item"], g["api_key_id"]): g["quantity"]
        for g in sim.ground_truth_costs(org, d, d)
    }
    assert provisional.keys() <= settled.keys()
    assert sum(1 for k, q in provisional.items() if q < settled[k]) > len(provisional) // 2


def test_restatement_is_served_over_http(fresh: tuple) -> None:
    sim, server = fresh
    c = Client(server, sim.organizations[0].admin_key)
    yesterday = NOW_TS - NOW_TS % DAY - DAY

    def served() -> str:
        return c.get(
            "/organization/costs", start_time=yesterday, limit=1, group_by=["project_id", "line_item"]
        ).text

    at_age_1 = served()
    sim.advance(days=1)
    at_age_2 = served()
    sim.advance(days=1)
    at_age_3 = served()
    sim.advance(days=3)
    assert len({at_age_1, at_age_2, at_age_3}) == 3
    assert served() == at_age_3


def test_no_restatement_window_means_costs_are_final_at_once() -> None:
    sim = Simulator(SimulatorConfig(seed=7, now=NOW, restatement_days=0))
    org = sim.organizations[0].org_id
    d = date(2026, 3, 8)
    sim.set_now(datetime(2026, 3, 9, 1, tzinfo=UTC))
    early = _day_total(sim, org, d)
    sim.set_now(datetime(2026, 3, 20, tzinfo=UTC))
    assert _day_total(sim, org, d) == early


def test_today_costs_grow_with_the_clock() -> None:
    sim = Simulator(SimulatorConfig(seed=7, now=NOW, restatement_days=0))
    org = sim.organizations[0].org_id
    today = NOW.date()
    morning = _day_total(sim, org, today)
    sim.advance(hours=8)
    assert morning < _day_total(sim, org, today)
    assert sim.ground_truth_costs(org, today + timedelta(days=1), today + timedelta(days=3)) == []
