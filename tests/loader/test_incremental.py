"""Reruns: no duplicates, the lookback window, a new day, restated costs replaced."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from loader_testkit import (
    COSTS_BY_KEY,
    COSTS_GROUP_BY,
    NOW,
    backfill_start,
    new_sim,
    organizations,
    settings_for,
    snapshot,
    truth_costs,
    warehouse_costs,
)

from loader.pipeline import run_load
from openai_simulator import serve


def _start_times(records: list, path_suffix: str) -> set[int]:
    return {
        int(record.query["start_time"][0])
        for record in records
        if record.path.endswith(path_suffix) and "page" not in record.query
    }


def test_rerun_adds_nothing_then_next_day_loads_and_restated_costs_replace(tmp_path: Path) -> None:
    sim = new_sim()
    db = tmp_path / "warehouse.duckdb"
    orgs = organizations(sim)[:1]  # one organization is enough here; test_load covers several
    with serve(sim) as server:
        assert run_load(settings_for(sim, server.base_url, tmp_path, organizations=orgs)).ok
        first = snapshot(db)
        costs_before = warehouse_costs(db, COSTS_GROUP_BY)

        # Same clock: the rerun re-reads the lookback and changes nothing.
        already = len(server.requests)
        assert run_load(settings_for(sim, server.base_url, tmp_path, organizations=orgs)).ok
        assert snapshot(db) == first
        last_bucket = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC)
        lookback_start = int((last_bucket - timedelta(days=3)).timestamp())
        assert _start_times(server.requests[already:], "/usage/completions") == {lookback_start}
        # The first run read the backfill a slice (one 1d usage page: 31 days) at a time.
        slices = range(backfill_start(NOW), int(NOW.timestamp()), 31 * 86_400)
        assert _start_times(server.requests[:already], "/usage/completions") == set(slices)

        # A day later: the new day lands and recent days are restated by the simulator.
        sim.advance(days=1)
        assert run_load(settings_for(sim, server.base_url, tmp_path, organizations=orgs)).ok
        second = snapshot(db)

    first_day = date.fromtimestamp(backfill_start(NOW))
    new_today = (NOW + timedelta(days=1)).date()
    restated = 0
    for org in orgs:
        truth = truth_costs(sim, org.org_id, first_day, new_today, by_key=False)
        got = {k: v for k, v in warehouse_costs(db, COSTS_GROUP_BY).items() if k[0] == org.org_id}
        assert got == truth
        truth_by_key = truth_costs(sim, org.org_id, first_day, new_today, by_key=True)
        got_by_key = {k: v for k, v in warehouse_costs(db, COSTS_BY_KEY).items() if k[0] == org.org_id}
        assert got_by_key == truth_by_key
        assert any(key[1] == new_today for key in got)
        restated += sum(
            1
            for key, value in costs_before.items()
            if key[1] < NOW.date() and key in got and got[key] != value
        )
    assert restated > 0, "the simulator restated nothing, so the test proves nothing"
    assert len(second["usage_completions"]) > len(first["usage_completions"])
    with duckdb.connect(str(db), read_only=True) as con:
        duplicates = con.sql("select count(*) - count(distinct row_key) from openai_raw.costs").fetchone()
    assert duplicates == (0,)
