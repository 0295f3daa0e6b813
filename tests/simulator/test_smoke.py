from __future__ import annotations

from .support import Client


def test_completions_and_costs_answer(client: Client) -> None:
    body = client.ok("/organization/usage/completions", start_time=1772668800, limit=2)
    assert [b["start_time"] for b in body["data"]] == [1772668800, 1772755200]
    costs = client.ok("/organization/costs", start_time=1772668800, limit=2)
    assert len(costs["data"]) == 2
    assert costs["data"][0]["results"]
