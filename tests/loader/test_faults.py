"""Transient failures (429 storms, 5xx, truncated and malformed pages) change nothing in the tables."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from loader_testkit import new_sim, organizations, settings_for, snapshot

from loader.client import AdminApiClient, RequestFailed
from loader.pipeline import run_load
from loader.settings import RetryPolicy
from openai_simulator import serve


def test_faulty_load_equals_fault_free_load(tmp_path: Path) -> None:
    clean_sim = new_sim()
    with serve(clean_sim) as server:
        # One organization is enough here; test_load covers several.
        clean = settings_for(clean_sim, server.base_url, tmp_path / "clean")
        assert run_load(replace(clean, organizations=clean.organizations[:1])).ok

    faulty_sim = new_sim()
    faulty_sim.faults.inject("429", count=6, retry_after=1, path_contains="/organization/costs")
    faulty_sim.faults.inject("429", count=3, retry_after=None, path_contains="/usage/completions")
    faulty_sim.faults.inject("500", count=2, path_contains="/usage/images")
    faulty_sim.faults.inject("502", count=2, path_contains="/organization/projects")
    faulty_sim.faults.inject("503", count=2, path_contains="/organization/users")
    faulty_sim.faults.inject("truncated", count=2, path_contains="/usage/embeddings")
    faulty_sim.faults.inject("malformed", count=2, path_contains="/api_keys")
    faulty_sim.faults.random(0.15, kinds=("429", "500", "503", "truncated", "malformed"), seed=3)
    with serve(faulty_sim) as server:
        faulty = settings_for(faulty_sim, server.base_url, tmp_path / "faulty")
        result = run_load(replace(faulty, organizations=faulty.organizations[:1]))
        statuses = Counter(record.status for record in server.requests)

    assert result.ok, result.report.failures
    assert faulty_sim.faults.pending == 0
    assert statuses[429] >= 9 and statuses[500] >= 2 and statuses[502] >= 2 and statuses[503] >= 2
    expected = snapshot(tmp_path / "clean" / "warehouse.duckdb")
    assert expected and snapshot(tmp_path / "faulty" / "warehouse.duckdb") == expected


def test_persistent_failure_is_reported_with_org_endpoint_and_page(tmp_path: Path) -> None:
    sim = new_sim()
    sim.faults.inject("503", count=50, path_contains="/usage/moderations")
    org = organizations(sim)[0]
    with serve(sim) as server:
        client = AdminApiClient(org, server.base_url, RetryPolicy(max_attempts=3, sleep_scale=0.001))
        with pytest.raises(RequestFailed) as failure:
            list(client.iter_report_pages("/organization/usage/moderations", {"start_time": 0}))
    assert str(failure.value) == (
        f"organization {org.org_id}: GET /organization/usage/moderations page 1: "
        "gave up after 3 attempts: HTTP 503"
    )


def test_retry_after_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("loader.client.time.sleep", sleeps.append)
    sim = new_sim()
    sim.faults.inject("429", count=2, retry_after=7)
    org = organizations(sim)[0]
    with serve(sim) as server:
        client = AdminApiClient(org, server.base_url, RetryPolicy(backoff_base=0.1, backoff_cap=30.0))
        pages = list(client.iter_list("/organization/users", {"limit": 100}))
    assert pages and pages[0]
    assert sleeps == [7.0, 7.0]


def _bucket_starts(client: AdminApiClient, path: str, params: dict) -> list[int]:
    return [
        bucket["start_time"] for _, buckets in client.iter_report_pages(path, params) for bucket in buckets
    ]


@pytest.mark.parametrize("kind", ["truncated", "malformed"])
def test_a_page_broken_part_way_is_fetched_again_and_resumes_after_the_buckets_handed_out(kind: str) -> None:
    sim = new_sim()
    org = organizations(sim)[0]
    path = "/organization/usage/completions"
    start = 1_767_225_600
    params = {"start_time": start, "end_time": start + 168 * 3600, "bucket_width": "1h", "limit": 168}
    policy = RetryPolicy(sleep_scale=0.001)
    with serve(sim) as server:
        expected = _bucket_starts(AdminApiClient(org, server.base_url, policy), path, params)
        sim.faults.inject(kind, count=1, path_contains="/usage/completions")
        client = AdminApiClient(org, server.base_url, policy)
        starts = _bucket_starts(client, path, params)
    assert len(expected) == 168  # one full page of hours
    assert starts == expected  # every bucket once, in order
    assert client.requests_made == 2
