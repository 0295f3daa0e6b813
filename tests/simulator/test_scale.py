"""The large preset is served from the seed, with per-request work proportional to the rows returned."""

from __future__ import annotations

import time

from openai_simulator import Simulator, SimulatorConfig, catalog, serve
from openai_simulator.costs import FINAL_CACHE_ROWS

from .support import DAY, NOW, NOW_TS, Client


def test_large_preset_serves_an_hourly_day_quickly() -> None:
    t0 = time.perf_counter()
    sim = Simulator(SimulatorConfig.large(seed=7, now=NOW))
    assert time.perf_counter() - t0 < 5  # descriptors only: no precomputed values
    org = sim.org(sim.organizations[0].org_id)
    assert (len(org.projects), len(org.users)) == (100, 1000)
    assert 1000 < len(org.streams) < 3000
    day = NOW_TS - NOW_TS % DAY - 200 * DAY
    with serve(sim) as server:
        c = Client(server, sim.organizations[0].admin_key)
        t0 = time.perf_counter()
        body = c.ok(
            "/organization/usage/completions",
            start_time=day,
            end_time=day + DAY,
            bucket_width="1h",
            group_by=list(catalog.ENDPOINTS["completions"].group_dims),
        )
        elapsed = time.perf_counter() - t0
        rows = sum(len(b["results"]) for b in body["data"])
        assert len(body["data"]) == 24 and rows > 5000
        assert elapsed < 10, f"{rows} rows took {elapsed:.1f}s"
        # the oldest day of a year of history is there too
        first = c.ok("/organization/costs", start_time=sim.first_day * DAY, limit=1, group_by="project_id")
        assert len(first["data"][0]["results"]) > 30
    # caches are bounded, never the whole dataset
    info = sim.generator._hours_cached.cache_info()
    assert info.maxsize is not None and info.currsize <= info.maxsize
    assert sim.cost_model._final_rows <= FINAL_CACHE_ROWS
