"""Faults on demand, authentication and routing between organizations."""

from __future__ import annotations

import json
import time

import pytest
import requests

from openai_simulator import Simulator

from .support import DAY, NOW_TS, Client

PATH = "/organization/usage/completions"
START = NOW_TS - 3 * DAY


def test_429_with_retry_after_then_recovers(fresh: tuple) -> None:
    sim, server = fresh
    c = Client(server, sim.organizations[0].admin_key)
    sim.faults.inject("429", count=2, retry_after=3)
    for _ in range(2):
        r = c.get(PATH, start_time=START)
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "3"
        err = r.json()["error"]
        assert err["code"] == "rate_limit_exceeded" and set(err) == {"message", "type", "param", "code"}
    assert c.get(PATH, start_time=START).status_code == 200
    sim.faults.inject("429", retry_after=None)
    r = c.get(PATH, start_time=START)
    assert r.status_code == 429 and "Retry-After" not in r.headers
    assert [x.status for x in server.requests] == [429, 429, 200, 429]


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("502", 502), ("503", 503)])
def test_server_errors(fresh: tuple, kind: str, status: int) -> None:
    sim, server = fresh
    c = Client(server, sim.organizations[0].admin_key)
    sim.faults.inject(kind)
    r = c.get(PATH, start_time=START)
    assert r.status_code == status
    if kind == "502":
        assert r.headers["Content-Type"] == "text/html" and b"502 Bad Gateway" in r.content
    else:
        assert r.json()["error"]["type"] == "server_error"
    assert c.get(PATH, start_time=START).status_code == 200


def test_slow_truncated_and_malformed_bodies(fresh: tuple) -> None:
    sim, server = fresh
    c = Client(server, sim.organizations[0].admin_key)
    good = c.get(PATH, start_time=START)
    sim.faults.inject("slow", seconds=0.4)
    t0 = time.monotonic()
    slow = c.get(PATH, start_time=START)
    assert time.monotonic() - t0 >= 0.4 and slow.content == good.content
    sim.faults.inject("truncated")
    cut = c.get(PATH, start_time=START)
    assert cut.status_code == 200 and 0 < len(cut.content) < len(good.content)
    assert good.content.startswith(cut.content)
    sim.faults.inject("malformed")
    bad = c.get(PATH, start_time=START)
    assert bad.status_code == 200
    for body in (cut, bad):
        with pytest.raises(json.JSONDecodeError):
            json.loads(body.content)
    assert c.get(PATH, start_time=START).content == good.content


def test_faults_can_target_one_path(fresh: tuple) -> None:
    sim, server = fresh
    c = Client(server, sim.organizations[0].admin_key)
    sim.faults.inject("503", count=1, path_contains="usage/embeddings")
    assert c.get(PATH, start_time=START).status_code == 200
    assert c.get("/organization/costs", start_time=START).status_code == 200
    assert c.get("/organization/usage/embeddings", start_time=START).status_code == 503
    assert sim.faults.pending == 0


def test_random_faults_are_deterministic_per_request_order(fresh: tuple) -> None:
    sim, server = fresh
    c = Client(server, sim.organizations[0].admin_key)

    def run() -> list[int]:
        sim.faults.random(rate=0.4, kinds=("429", "503", "malformed"), seed=5)
        out = []
        for _ in range(30):
            r = c.get("/organization/usage/moderations", start_time=START)
            try:
                r.json()
                out.append(r.status_code)
            except ValueError:
                out.append(-1)  # malformed body behind a 200
        return out

    first = run()
    assert first == run()
    assert set(first) == {200, 429, 503, -1}
    assert 5 <= sum(1 for s in first if s != 200) <= 20
    sim.faults.clear()
    assert c.get("/organization/usage/moderations", start_time=START).status_code == 200


def test_unknown_key_is_401_and_shows_at_most_four_characters(server, sim: Simulator) -> None:
    secret = "sk-admin-thisIsNotAKnownKeyXyZ9"
    r = requests.get(
        server.base_url + PATH, params={"start_time": START}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 401
    err = r.json()["error"]
    assert (
        err["code"] == "invalid_api_key" and err["type"] == "invalid_request_error" and err["param"] is None
    )
    assert err["message"].startswith("Incorrect API key provided: sk-...XyZ9.")
    assert "thisIsNot" not in err["message"] and "KeyX" not in err["message"]
    r = requests.get(server.base_url + PATH, params={"start_time": START})
    assert r.status_code == 401 and "didn't provide an API key" in r.json()["error"]["message"]


def test_project_key_is_403_missing_scopes(server) -> None:
    r = requests.get(
        server.base_url + PATH,
        params={"start_time": START},
        headers={"Authorization": "Bearer sk-proj-abcdefghijklmnop"},
    )
    assert r.status_code == 403
    assert r.json()["error"]["message"].startswith(
        "You have insufficient permissions for this operation. Missing scopes: api.usage.read."
    )
    assert (r.json()["error"]["param"], r.json()["error"]["code"]) == (None, None)
    r = requests.get(
        server.base_url + "/organization/projects",
        headers={"Authorization": "Bearer sk-svcacct-abcdefghijklmnop"},
    )
    assert r.status_code == 403 and "Missing scopes: api.management.read." in r.json()["error"]["message"]


def test_only_get_is_allowed_and_unknown_paths_are_404(client: Client) -> None:
    r = client.session.post(client.server.base_url + PATH, json={})
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    assert set(r.json()["error"]) == {"message", "type", "param", "code"}
    assert client.session.delete(client.server.base_url + "/organization/projects").status_code == 405
    r = client.get("/organization/usage/fine_tuning", start_time=START)
    assert (
        r.status_code == 404
        and r.json()["error"]["message"] == "Invalid URL (GET /v1/organization/usage/fine_tuning)"
    )


def test_requests_are_routed_by_key_to_their_organization(sim: Simulator, server) -> None:
    a, b = (Client(server, o.admin_key) for o in sim.organizations)
    pa = {p["id"] for p in a.ok("/organization/projects", include_archived="true")["data"]}
    pb = {p["id"] for p in b.ok("/organization/projects", include_archived="true")["data"]}
    assert len(pa) == 6 and len(pb) == 5 and not pa & pb
    ca = a.ok("/organization/costs", start_time=START, group_by="project_id")
    assert {r["project_id"] for bk in ca["data"] for r in bk["results"]} <= pa
    assert (
        a.get("/organization/costs", start_time=START).headers["openai-organization"]
        == sim.organizations[0].org_id
    )
    orgs = {r.org_id for r in server.requests if r.path == "/v1/organization/projects"}
    assert {o.org_id for o in sim.organizations} <= orgs


def test_fault_arguments_are_checked(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.faults.inject("418")
    with pytest.raises(ValueError):
        sim.faults.inject("429", retry_after=0)
    with pytest.raises(ValueError):
        sim.faults.random(rate=1.5)
    assert sim.faults.pending == 0
