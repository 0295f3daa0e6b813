"""Usage endpoints: buckets, limits, windows, grouping, filters."""

from __future__ import annotations

from collections import Counter

import pytest

from openai_simulator import Simulator, catalog

from .support import DAY, NOW_TS, Client

# 2026-03-01 .. 2026-03-08 are complete days before NOW (2026-03-10 09:30Z)
D0 = 1772323200
USAGE = sorted(catalog.ENDPOINTS)
NUMERIC = {
    name: [f for f in ep.fields]
    if name != "completions"
    else ["input_tokens", "output_tokens", "num_model_requests"]
    for name, ep in catalog.ENDPOINTS.items()
}


def rows(body: dict) -> list[dict]:
    return [r for b in body["data"] for r in b["results"]]


def total(body: dict, field: str) -> int:
    return sum(r.get(field, 0) for r in rows(body))


@pytest.mark.parametrize("name", USAGE)
def test_every_usage_endpoint_serves_its_result_object_grouped_by_every_dimension(
    client: Client, name: str
) -> None:
    ep = catalog.ENDPOINTS[name]
    body = client.ok(
        f"/organization/usage/{name}", start_time=D0, end_time=D0 + 7 * DAY, group_by=list(ep.group_dims)
    )
    assert body["object"] == "page" and body["has_more"] is False and body["next_page"] is None
    assert [b["start_time"] for b in body["data"]] == [D0 + i * DAY for i in range(7)]
    results = rows(body)
    assert results, f"no {name} usage in a week"
    for r in results:
        assert r["object"] == ep.result_object
        assert r["project_id"].startswith("proj_")
        for f in (
            ep.fields if name != "completions" else ("input_tokens", "output_tokens", "num_model_requests")
        ):
            assert isinstance(r[f], int) and r[f] >= 0
    if "model" in ep.group_dims:
        assert all(isinstance(r["model"], str) for r in results)


@pytest.mark.parametrize(("width", "default", "maximum"), [("1d", 7, 31), ("1h", 24, 168), ("1m", 60, 1440)])
def test_limit_defaults_maxima_and_rejection(client: Client, width: str, default: int, maximum: int) -> None:
    seconds = {"1d": DAY, "1h": 3600, "1m": 60}[width]
    start = NOW_TS - NOW_TS % seconds - (maximum + 5) * seconds
    body = client.ok("/organization/usage/embeddings", start_time=start, bucket_width=width)
    assert len(body["data"]) == default and body["has_more"] is True
    body = client.ok("/organization/usage/embeddings", start_time=start, bucket_width=width, limit=maximum)
    assert len(body["data"]) == maximum
    r = client.get("/organization/usage/embeddings", start_time=start, bucket_width=width, limit=maximum + 1)
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "message": f"Invalid limit provided: {maximum + 1}. "
            f"Limit must be less than or equal to {maximum}.",
            "type": "invalid_request_error",
            "param": "limit",
            "code": "invalid_request_error",
        }
    }


def test_bad_parameters_are_400_with_the_envelope(client: Client) -> None:
    r = client.get("/organization/usage/completions")
    assert r.status_code == 400 and r.json()["error"]["param"] == "start_time"
    r = client.get("/organization/usage/completions", start_time=D0, bucket_width="1w")
    assert r.status_code == 400 and r.json()["error"]["param"] == "bucket_width"
    r = client.get("/organization/usage/completions", start_time=D0, group_by="line_item")
    assert r.status_code == 400 and r.json()["error"]["param"] == "group_by"
    assert "'line_item'" in r.json()["error"]["message"]
    r = client.get("/organization/usage/vector_stores", start_time=D0, group_by="model")
    assert r.status_code == 400
    r = client.get("/organization/usage/completions", start_time=D0, end_time=D0)
    assert r.status_code == 400 and r.json()["error"]["param"] == "end_time"
    r = client.get("/organization/usage/images", start_time=D0, sizes="2048x2048")
    assert r.status_code == 400 and r.json()["error"]["param"] == "sizes"


def test_buckets_are_dense_before_history_and_on_idle_minutes(sim: Simulator, client: Client) -> None:
    first = sim.first_day * DAY
    body = client.ok("/organization/usage/completions", start_time=first - 5 * DAY, limit=10)
    assert [b["start_time"] for b in body["data"]] == [first + (i - 5) * DAY for i in range(10)]
    assert [len(b["results"]) for b in body["data"][:5]] == [0] * 5
    assert all(b["results"] for b in body["data"][6:])
    # tiny streams leave some minutes empty: still one bucket per minute
    body = client.ok("/organization/usage/audio_speeches", start_time=D0, bucket_width="1m", limit=1440)
    assert len(body["data"]) == 1440
    assert [b["end_time"] - b["start_time"] for b in body["data"]] == [60] * 1440
    assert any(not b["results"] for b in body["data"])


def test_unaligned_start_and_partial_newest_bucket_end_at_now(client: Client) -> None:
    start = NOW_TS - 2 * DAY - 1234
    body = client.ok("/organization/usage/completions", start_time=start)
    spans = [(b["start_time"], b["end_time"]) for b in body["data"]]
    midnight = start - start % DAY + DAY
    assert spans == [(start, midnight), (midnight, midnight + DAY), (midnight + DAY, NOW_TS)]
    body = client.ok("/organization/usage/completions", start_time=NOW_TS - 7200 - 600, bucket_width="1h")
    spans = [(b["start_time"], b["end_time"]) for b in body["data"]]
    top = NOW_TS - NOW_TS % 3600
    assert spans == [(NOW_TS - 7800, top - 3600), (top - 3600, top), (top, NOW_TS)]
    assert all(b["results"] for b in body["data"])


def test_end_time_is_exclusive_and_windows_partition_exactly(client: Client) -> None:
    whole = client.ok(
        "/organization/usage/completions", start_time=D0, end_time=D0 + 2 * DAY, bucket_width="1d"
    )
    assert [(b["start_time"], b["end_time"]) for b in whole["data"]] == [
        (D0, D0 + DAY),
        (D0 + DAY, D0 + 2 * DAY),
    ]
    cut = D0 + DAY + 5 * 3600 + 17 * 60
    a = client.ok("/organization/usage/completions", start_time=D0, end_time=cut)
    b = client.ok("/organization/usage/completions", start_time=cut, end_time=D0 + 2 * DAY)
    assert a["data"][-1]["end_time"] == cut and b["data"][0]["start_time"] == cut
    for f in ("input_tokens", "output_tokens", "num_model_requests", "input_cached_tokens"):
        assert total(a, f) + total(b, f) == total(whole, f) > 0


def test_1d_is_the_sum_of_1h_and_of_1m_row_by_row(client: Client) -> None:
    day = D0 + 3 * DAY
    args = {
        "start_time": day,
        "end_time": day + DAY,
        "group_by": ["project_id", "model", "batch", "service_tier"],
    }

    def by_key(body: dict) -> Counter:
        out: Counter = Counter()
        for r in rows(body):
            key = (r["project_id"], r["model"], r["batch"], r["service_tier"])
            for f in ("input_tokens", "input_cached_tokens", "output_tokens", "num_model_requests"):
                out[(*key, f)] += r[f]
        return out

    d = by_key(client.ok("/organization/usage/completions", bucket_width="1d", **args))
    h = by_key(client.ok("/organization/usage/completions", bucket_width="1h", limit=24, **args))
    m = by_key(client.ok("/organization/usage/completions", bucket_width="1m", limit=1440, **args))
    assert d == h == m
    assert len(d) > 20


@pytest.mark.parametrize("name", USAGE)
def test_group_by_any_subset_aggregates_exactly(client: Client, name: str) -> None:
    ep = catalog.ENDPOINTS[name]
    base = {"start_time": D0, "end_time": D0 + 3 * DAY}
    plain = client.ok(f"/organization/usage/{name}", **base)
    assert all(len(b["results"]) == 1 for b in plain["data"])
    subsets = [[d] for d in ep.group_dims] + [list(ep.group_dims), list(ep.group_dims[::2])]
    for group_by in subsets:
        grouped = client.ok(f"/organization/usage/{name}", group_by=group_by, **base)
        for pb, gb in zip(plain["data"], grouped["data"], strict=True):
            for f in NUMERIC[name]:
                assert sum(r.get(f, 0) for r in gb["results"]) == pb["results"][0][f], (group_by, f)
            keys = [tuple(r[d] for d in group_by) for r in gb["results"]]
            assert len(keys) == len(set(keys))
            for r in gb["results"]:
                for d in ep.group_dims:
                    if d not in group_by:
                        assert r.get(d) is None


def test_both_array_encodings_give_identical_answers(client: Client) -> None:
    base = f"{client.server.base_url}/organization/usage/completions?start_time={D0}&end_time={D0 + 2 * DAY}"
    repeated = client.session.get(
        base + "&group_by=model&group_by=project_id&models=gpt-4o-2024-08-06&models=o3-2025-04-16"
    )
    brackets = client.session.get(
        base + "&group_by[]=model&group_by[]=project_id&models[]=gpt-4o-2024-08-06&models[]=o3-2025-04-16"
    )
    assert repeated.status_code == brackets.status_code == 200
    assert repeated.content == brackets.content
    recorded = [r.query for r in client.server.requests if r.path == "/v1/organization/usage/completions"][
        -2:
    ]
    assert "group_by" in recorded[0] and recorded[1]["group_by[]"] == ["model", "project_id"]
    models = {r["model"] for r in rows(repeated.json())}
    assert models == {"gpt-4o-2024-08-06", "o3-2025-04-16"}
    assert {r["project_id"] for r in rows(repeated.json())} > {None} - {None}


def test_filters_select_exactly_the_matching_rows(client: Client) -> None:
    base = {"start_time": D0, "end_time": D0 + 2 * DAY}
    all_dims = list(catalog.ENDPOINTS["completions"].group_dims)
    full = rows(client.ok("/organization/usage/completions", group_by=all_dims, **base))
    pid = full[0]["project_id"]
    key_id = next(r["api_key_id"] for r in full if r["user_id"])
    user = next(r["user_id"] for r in full if r["user_id"])
    cases = [
        ({"project_ids": pid}, lambda r: r["project_id"] == pid),
        ({"api_key_ids": key_id}, lambda r: r["api_key_id"] == key_id),
        ({"user_ids": user}, lambda r: r["user_id"] == user),
        ({"models": "gpt-4o-mini-2024-07-18"}, lambda r: r["model"] == "gpt-4o-mini-2024-07-18"),
        ({"batch": "true"}, lambda r: r["batch"] is True),
        ({"batch": "false"}, lambda r: r["batch"] is False),
    ]
    for params, keep in cases:
        got = rows(client.ok("/organization/usage/completions", group_by=all_dims, **params, **base))
        expected = [r for r in full if keep(r)]
        assert got == expected and got, params
    batch = total(client.ok("/organization/usage/completions", batch="true", **base), "input_tokens")
    online = total(client.ok("/organization/usage/completions", batch="false", **base), "input_tokens")
    assert batch > 0 and online > 0
    assert batch + online == sum(r["input_tokens"] for r in full)


@pytest.mark.parametrize(
    ("name", "param", "dim"),
    [
        ("images", "sources", "source"),
        ("images", "sizes", "size"),
        ("file_search_calls", "vector_store_ids", "vector_store_id"),
        ("web_search_calls", "context_levels", "context_level"),
        ("embeddings", "models", "model"),
    ],
)
def test_endpoint_specific_filters(client: Client, name: str, param: str, dim: str) -> None:
    base = {"start_time": D0, "end_time": D0 + 7 * DAY, "group_by": list(catalog.ENDPOINTS[name].group_dims)}
    full = rows(client.ok(f"/organization/usage/{name}", **base))
    values = sorted({r[dim] for r in full})
    assert values
    got = rows(client.ok(f"/organization/usage/{name}", **{param: values[0]}, **base))
    assert got == [r for r in full if r[dim] == values[0]]


def test_completions_token_identities_hold_on_every_row(client: Client) -> None:
    body = client.ok(
        "/organization/usage/completions",
        start_time=D0,
        end_time=D0 + DAY,
        bucket_width="1h",
        limit=24,
        group_by=list(catalog.ENDPOINTS["completions"].group_dims),
    )
    checked = 0
    for r in rows(body):

        def g(f: str, r: dict = r) -> int:
            return r.get(f, 0)  # optional fields may be absent, as live

        assert g("input_tokens") == g("input_cached_tokens") + g("input_cache_write_tokens") + g(
            "input_uncached_tokens"
        )
        assert g("input_uncached_tokens") == g("input_text_tokens") + g("input_audio_tokens") + g(
            "input_image_tokens"
        )
        assert g("input_cached_tokens") == (
            g("input_cached_text_tokens") + g("input_cached_audio_tokens") + g("input_cached_image_tokens")
        )
        assert g("output_tokens") == g("output_text_tokens") + g("output_audio_tokens") + g(
            "output_image_tokens"
        )
        checked += 1
    assert checked > 100
    assert any(r.get("input_audio_tokens") for r in rows(body))
    assert any(r.get("input_image_tokens") for r in rows(body))
    assert any(r.get("input_cache_write_tokens") for r in rows(body))


def test_vector_store_bytes_are_a_level_not_a_flow(client: Client) -> None:
    day = client.ok(
        "/organization/usage/vector_stores", start_time=D0, end_time=D0 + DAY, group_by="project_id"
    )
    hours = client.ok(
        "/organization/usage/vector_stores",
        start_time=D0,
        end_time=D0 + DAY,
        bucket_width="1h",
        group_by="project_id",
    )
    daily = {r["project_id"]: r["usage_bytes"] for r in day["data"][0]["results"]}
    assert len(daily) >= 5
    for b in hours["data"]:
        assert {r["project_id"]: r["usage_bytes"] for r in b["results"]} == daily


def test_service_tiers_and_models_span_the_catalog(client: Client) -> None:
    body = client.ok(
        "/organization/usage/completions",
        start_time=NOW_TS - 31 * DAY,
        limit=31,
        group_by=["model", "service_tier", "batch"],
    )
    combos = {(r["model"], r["service_tier"], r["batch"]) for r in rows(body)}
    assert {t for _, t, _ in combos} == {"default", "flex", "priority"}
    assert any(b for _, _, b in combos)
    assert {m for m, _, _ in combos} >= {
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-2024-08-06",
        catalog.FINE_TUNED_MODEL,
        catalog.NEW_EXPENSIVE_MODEL,
    }
