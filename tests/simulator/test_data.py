"""The simulated organization's content: metadata, key owners, anomalies, seasonality, determinism, extras."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from openai_simulator import OrganizationSpec, Simulator, SimulatorConfig, serve
from openai_simulator.config import make_organization

from .support import DAY, NOW, NOW_TS, Client


def _ts(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def _all(client: Client, path: str, **params: object) -> list[dict]:
    items, after = [], None
    while True:
        body = client.ok(path, limit=7, **params, **({"after": after} if after else {}))
        items += body["data"]
        if not body["has_more"]:
            return items
        after = body["last_id"]


def test_projects_one_archived_hidden_by_default(client: Client) -> None:
    active = client.ok("/organization/projects")["data"]
    everything = client.ok("/organization/projects", include_archived="true")["data"]
    assert len(active) == 5 and len(everything) == 6
    archived = [p for p in everything if p["status"] == "archived"]
    assert len(archived) == 1 and archived[0]["archived_at"] > archived[0]["created_at"]
    assert all(p["status"] == "active" and p["archived_at"] is None for p in active)
    # its usage stops the day it was archived
    arch_day = archived[0]["archived_at"] - archived[0]["archived_at"] % DAY
    body = client.ok(
        "/organization/costs", start_time=arch_day - 5 * DAY, limit=12, project_ids=archived[0]["id"]
    )
    spend = [bool(b["results"]) for b in body["data"]]
    assert spend[:5] == [True] * 5 and spend[5:] == [False] * 7


def test_users_paginate_with_after_and_filter_by_email(client: Client) -> None:
    users = _all(client, "/organization/users")
    assert len(users) == 20 and len({u["id"] for u in users}) == 20
    assert all(u["id"].startswith("user-") and u["object"] == "organization.user" for u in users)
    assert [u["role"] for u in users].count("owner") == 2
    one = client.ok("/organization/users", emails=users[5]["email"])["data"]
    assert one == [users[5]]
    first = client.ok("/organization/users", limit=7)
    assert first["first_id"] == users[0]["id"] and first["last_id"] == users[6]["id"] and first["has_more"]


def test_api_keys_owners_and_owner_project_access(client: Client) -> None:
    projects = client.ok("/organization/projects", include_archived="true")["data"]
    total_any, total_default, kinds = 0, 0, set()
    for p in projects:
        keys = _all(client, f"/organization/projects/{p['id']}/api_keys", owner_project_access="any")
        default = _all(client, f"/organization/projects/{p['id']}/api_keys")
        inactive = client.ok(f"/organization/projects/{p['id']}/api_keys", owner_project_access="inactive")[
            "data"
        ]
        assert {k["id"] for k in default} | {k["id"] for k in inactive} == {k["id"] for k in keys}
        total_any += len(keys)
        total_default += len(default)
        sas = {s["id"] for s in client.ok(f"/organization/projects/{p['id']}/service_accounts")["data"]}
        members = {u["id"] for u in client.ok(f"/organization/projects/{p['id']}/users")["data"]}
        for k in keys:
            kinds.add(k["owner"]["type"])
            assert k["id"].startswith("key_")
            if k["owner"]["type"] == "service_account":
                assert k["owner"]["service_account"]["id"] in sas
            else:
                assert k["owner"]["user"]["id"] in members
    assert total_any == 6 * 3 and total_default == total_any - 1
    assert kinds == {"user", "service_account"}
    r = client.get("/organization/projects/proj_doesnotexist/api_keys")
    assert r.status_code == 404


def test_usage_user_id_is_the_key_owner_and_deleted_keys_stay_orphans(sim: Simulator, client: Client) -> None:
    owners: dict[str, str | None] = {}
    for p in client.ok("/organization/projects", include_archived="true")["data"]:
        for k in _all(client, f"/organization/projects/{p['id']}/api_keys", owner_project_access="any"):
            owners[k["id"]] = k["owner"]["user"]["id"] if k["owner"]["type"] == "user" else None
    body = client.ok(
        "/organization/usage/completions",
        start_time=sim.first_day * DAY,
        limit=31,
        group_by=["api_key_id", "user_id"],
    )
    seen: dict[str, set] = defaultdict(set)
    for b in body["data"]:
        for r in b["results"]:
            seen[r["api_key_id"]].add(r["user_id"])
    orphans = set(seen) - set(owners)
    assert len(orphans) == 1  # the deleted key: spend without a key record, as live
    for key_id, users in seen.items():
        assert len(users) == 1
        if key_id in owners:
            assert users == {owners[key_id]}
    assert None in {u for us in seen.values() for u in us}  # service-account keys have no user


def _daily(client: Client, path: str, start: date, days: int, **params: object) -> dict:
    out: dict = defaultdict(lambda: defaultdict(int))
    body = client.ok(path, start_time=_ts(start), limit=days, **params)
    for b in body["data"]:
        d = datetime.fromtimestamp(b["start_time"], UTC).date()
        for r in b["results"]:
            key = tuple(r.get(g) for g in params.get("group_by", []))
            out[key][d] += r.get("num_model_requests", 0)
    return out


def _around(series: dict, start: date, days: int, skip: set) -> float:
    return statistics.median(
        series.get(start + timedelta(days=i), 0)
        for i in range(-days, days + 1)
        if start + timedelta(days=i) not in skip
    )


def test_labelled_anomalies_are_real_in_the_data(sim: Simulator, client: Client) -> None:
    org = sim.organizations[0].org_id
    anomalies = [a for a in sim.labelled_anomalies() if a["org_id"] == org]
    assert sorted(a["kind"] for a in anomalies) == ["drop", "level_shift", "new_model", "spike", "spike"]
    assert len(sim.labelled_anomalies()) == 10
    for a in anomalies:
        start = a["start_date"]
        if a["kind"] == "spike" and a["level"] == "project_model":
            s = _daily(
                client,
                "/organization/usage/completions",
                start - timedelta(days=7),
                15,
                group_by=["project_id", "model"],
            )
            series = s[(a["project_id"], a["model"])]
            assert series[start] > 4 * _around(series, start, 7, {start})
        elif a["kind"] == "spike":
            s = _daily(
                client,
                "/organization/usage/completions",
                start - timedelta(days=7),
                15,
                group_by=["api_key_id"],
            )
            series = s[(a["api_key_id"],)]
            assert series[start] > 5 * _around(series, start, 7, {start})
        elif a["kind"] == "drop":
            assert a["end_date"] == start + timedelta(days=1)
            body = client.ok(
                "/organization/costs",
                start_time=_ts(start - timedelta(days=7)),
                limit=16,
                group_by="project_id",
            )
            series = {
                datetime.fromtimestamp(b["start_time"], UTC).date(): sum(
                    Decimal(str(r["amount"]["value"]))
                    for r in b["results"]
                    if r["project_id"] == a["project_id"]
                )
                for b in body["data"]
            }
            base = _around(series, start, 7, {start, a["end_date"]})
            assert series[start] < Decimal("0.3") * base and series[a["end_date"]] < Decimal("0.3") * base
        elif a["kind"] == "level_shift":
            assert a["end_date"] is None
            s = _daily(
                client,
                "/organization/usage/completions",
                start - timedelta(days=14),
                28,
                group_by=["api_key_id"],
            )
            series = s[(a["api_key_id"],)]
            before = sum(series[start - timedelta(days=i)] for i in range(1, 15))
            after = sum(series[start + timedelta(days=i)] for i in range(14))
            assert after > 1.8 * before
        else:
            assert a["kind"] == "new_model" and a["model"] == "o1-pro-2025-03-19"
            s = _daily(
                client,
                "/organization/usage/completions",
                start - timedelta(days=10),
                20,
                group_by=["project_id", "model"],
            )
            series = s[(a["project_id"], a["model"])]
            assert all(series[start - timedelta(days=i)] == 0 for i in range(1, 11))
            assert all(series[start + timedelta(days=i)] > 0 for i in range(10))
            assert (
                sum(
                    v
                    for (p, m), ser in s.items()
                    if m == a["model"] and p != a["project_id"]
                    for v in ser.values()
                )
                == 0
            )


def test_weekday_and_hour_of_day_seasonality_and_growth(sim: Simulator, client: Client) -> None:
    start = date(2026, 1, 5)  # a Monday
    s = _daily(client, "/organization/usage/completions", start, 28)[()]
    weekdays = [v for d, v in s.items() if d.weekday() < 5]
    weekends = [v for d, v in s.items() if d.weekday() >= 5]
    assert statistics.mean(weekdays) > 1.5 * statistics.mean(weekends)
    hours = client.ok(
        "/organization/usage/completions", start_time=_ts(date(2026, 3, 2)), bucket_width="1h", limit=168
    )
    by_hour: dict[int, int] = defaultdict(int)
    for b in hours["data"]:
        by_hour[(b["start_time"] % DAY) // 3600] += sum(r["num_model_requests"] for r in b["results"])
    assert by_hour[15] > 2 * by_hour[3]
    # growth: the fastest-growing steady stream serves clearly more at the end than at the start
    steady = [
        st
        for st in sim.org(sim.organizations[0].org_id).streams
        if st.endpoint == "completions"
        and not st.anomalies
        and st.end_day is None
        and st.start_day == sim.first_day
    ]
    fastest = max(steady, key=lambda st: st.growth)
    assert fastest.growth > 0.003
    f = {
        "api_key_ids": fastest.api_key_id,
        "models": fastest.dims["model"],
        "batch": str(fastest.dims["batch"]).lower(),
    }
    early = _daily(client, "/organization/usage/completions", sim.history_start, 28, **f)[()]
    late = _daily(client, "/organization/usage/completions", NOW.date() - timedelta(days=29), 28, **f)[()]
    assert sum(late.values()) > 1.3 * sum(early.values())


def test_same_seed_same_bytes_other_seed_other_data() -> None:
    def body(seed: int) -> tuple[str, bytes, bytes]:
        sim = Simulator(SimulatorConfig(seed=seed, now=NOW))
        with serve(sim) as server:
            c = Client(server, sim.organizations[0].admin_key)
            u = c.get(
                "/organization/usage/completions",
                start_time=NOW_TS - 2 * DAY,
                bucket_width="1h",
                group_by="model",
            )
            k = c.get(
                "/organization/costs", start_time=NOW_TS - 5 * DAY, group_by=["line_item", "api_key_id"]
            )
            return sim.organizations[0].org_id, u.content, k.content

    a, b, c = body(7), body(7), body(8)
    assert a == b
    assert a[0] != c[0] and a[1] != c[1] and a[2] != c[2]


def test_extras_on_and_off() -> None:
    for extras in (True, False):
        sim = Simulator(SimulatorConfig(seed=7, now=NOW, extras=extras, amount_strings=extras))
        with serve(sim) as server:
            c = Client(server, sim.organizations[0].admin_key)
            usage = c.ok(
                "/organization/usage/completions", start_time=NOW_TS - 10 * DAY, group_by="project_id"
            )
            costs = c.ok("/organization/costs", start_time=NOW_TS - 10 * DAY, limit=10, group_by="line_item")
        buckets = usage["data"] + costs["data"]
        rows = [r for b in costs["data"] for r in b["results"]]
        urows = [r for b in usage["data"] for r in b["results"]]
        if extras:
            assert {b["start_time_iso"][-6:] == "+00:00" for b in buckets} == {True, False}
            assert all(
                b["start_time_iso"].startswith(
                    datetime.fromtimestamp(b["start_time"], UTC).strftime("%Y-%m-%dT%H")
                )
                for b in buckets
            )
            assert all(
                r["organization_id"] == sim.organizations[0].org_id and r["project_name"] for r in rows
            )
            assert {"api_key_id" in r for r in rows} == {True, False}
            assert {"user_id" in r for r in rows} == {True, False}
            assert {"user_id" in r for r in urows} == {True, False}
            assert {"input_image_tokens" in r for r in urows} == {True, False}
            assert {type(r["amount"]["value"]) for r in rows} == {str, float}
        else:
            assert not any("start_time_iso" in b for b in buckets)
            assert not any("organization_id" in r for r in rows)
            assert all(r["api_key_id"] is None and "user_id" not in r for r in rows)
            assert all(
                r["user_id"] is None and r["api_key_id"] is None and "input_image_tokens" in r for r in urows
            )
            assert {type(r["amount"]["value"]) for r in rows} <= {float, int}


def test_ground_truth_file_and_endpoint(sim: Simulator, server, tmp_path: Path) -> None:
    path = sim.write_ground_truth(tmp_path / "truth.json")
    truth = json.loads(path.read_text())
    assert truth["seed"] == 7 and truth["now"] == NOW.isoformat()
    assert len(truth["anomalies"]) == 10
    assert truth["anomalies"][0]["start_date"] == sim.labelled_anomalies()[0]["start_date"].isoformat()
    org = sim.organizations[0].org_id
    daily = {d["date"]: Decimal(d["amount"]) for d in truth["daily_costs"] if d["org_id"] == org}
    assert len(daily) == sim.config.history_days + 1
    assert daily["2026-03-03"] == sum(
        g["amount"] for g in sim.ground_truth_costs(org, date(2026, 3, 3), date(2026, 3, 3))
    )
    r = requests.get(
        server.base_url + "/_simulator/anomalies",
        headers={"Authorization": f"Bearer {sim.organizations[1].admin_key}"},
    )
    assert r.status_code == 200
    assert [a["org_id"] for a in r.json()["data"]] == [sim.organizations[1].org_id] * 5


def test_custom_organizations() -> None:
    spec = make_organization(3, 0, "Tiny", projects=3, users=4, keys_per_project=2, archived_projects=0)
    assert isinstance(spec, OrganizationSpec) and spec.admin_key.startswith("sk-admin-sim-")
    sim = Simulator(SimulatorConfig(seed=3, now=NOW, organizations=[spec], history_days=30))
    org = sim.org(spec.org_id)
    assert (len(org.projects), len(org.users)) == (3, 4)
    assert sim.history_start == NOW.date() - timedelta(days=30)
    assert len(sim.ground_truth_costs(spec.org_id, NOW.date() - timedelta(days=29), NOW.date())) > 50


def test_seed_7_is_pinned(sim: Simulator, client: Client) -> None:
    """Exact values for the default seed: any change to the generated data must be deliberate."""
    spec = sim.organizations[0]
    assert (spec.org_id, spec.admin_key) == (
        "org-MjQYOg3nITWhehmjZFlMQNFG",
        "sk-admin-sim-vlc2EWwmtriI449RwYqTrbXNokDSsKrjfEOVfbIH",
    )
    day = client.ok("/organization/usage/completions", start_time=1772668800, end_time=1772755200)
    row = day["data"][0]["results"][0]
    assert (row["input_tokens"], row["output_tokens"], row["num_model_requests"]) == (
        127263590,
        15700367,
        57325,
    )
    assert (row["input_cached_tokens"], row["input_audio_tokens"], row["input_image_tokens"]) == (
        22969888,
        33793,
        1912997,
    )
    assert sim.daily_cost_totals(spec.org_id, date(2026, 3, 5), date(2026, 3, 5)) == {
        date(2026, 3, 5): Decimal("370.559658970148")
    }


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatorConfig(now=datetime(2026, 3, 10))
    with pytest.raises(ValueError, match="org-"):
        OrganizationSpec("acme", "Acme", "sk-admin-x")
    with pytest.raises(ValueError, match="archived_projects"):
        make_organization(1, 0, projects=2, archived_projects=2)
    a, b = make_organization(1, 0), make_organization(1, 0)
    with pytest.raises(ValueError, match="unique"):
        Simulator(SimulatorConfig(seed=1, now=NOW, organizations=[a, b]))
    assert SimulatorConfig(price_drift=0.05).price_drift == Decimal("0.05")  # type: ignore[arg-type]
