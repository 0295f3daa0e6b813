"""has_more / next_page cursors, bound to the query that issued them."""

from __future__ import annotations

from .support import DAY, NOW_TS, Client

START = NOW_TS - NOW_TS % DAY - 3 * DAY + 1800  # unaligned, 3.4 days before now


def _follow(client: Client, path: str, **params: object) -> list[dict]:
    buckets, page, calls = [], None, 0
    while True:
        body = client.ok(path, **params, **({"page": page} if page else {}))
        calls += 1
        buckets += body["data"]
        assert body["has_more"] == (body["next_page"] is not None)
        if not body["has_more"]:
            return buckets
        page = body["next_page"]
        assert isinstance(page, str) and page.startswith("page_")
        assert calls < 50


def test_following_cursors_equals_one_big_page(client: Client) -> None:
    params = {"start_time": START, "bucket_width": "1h", "group_by": ["project_id", "model"]}
    paged = _follow(client, "/organization/usage/completions", limit=7, **params)
    whole = client.ok("/organization/usage/completions", limit=168, **params)
    assert whole["has_more"] is False
    assert paged == whole["data"]
    # 00:30-01:00 + 23 hours, 24 + 24 hours, 9 hours + the 09:00-09:30 bucket still filling
    assert len(paged) == 24 + 48 + 10 and paged[-1]["end_time"] == NOW_TS
    starts = [b["start_time"] for b in paged]
    assert starts == sorted(set(starts))


def test_costs_pages_follow_day_by_day(client: Client) -> None:
    start = NOW_TS - NOW_TS % DAY - 20 * DAY
    paged = _follow(client, "/organization/costs", start_time=start, limit=6, group_by="project_id")
    assert [b["start_time"] for b in paged] == [start + i * DAY for i in range(21)]
    assert (
        paged == client.ok("/organization/costs", start_time=start, limit=30, group_by="project_id")["data"]
    )


def test_cursor_replayed_with_other_parameters_is_400(client: Client) -> None:
    params = {"start_time": START, "bucket_width": "1h", "limit": 5, "group_by": ["model"]}
    first = client.ok("/organization/usage/completions", **params)
    page = first["next_page"]
    # same parameters (and the other array encoding) are fine
    assert client.get("/organization/usage/completions", page=page, **params).status_code == 200
    url = (
        f"{client.server.base_url}/organization/usage/completions?start_time={START}&bucket_width=1h&limit=5"
        f"&group_by[]=model&page={page}"
    )
    assert client.session.get(url).status_code == 200
    for changed in (
        {"group_by": ["project_id"]},
        {"limit": 6},
        {"bucket_width": "1d", "limit": 5},
        {"start_time": START + 60},
        {"models": "gpt-4o-2024-08-06"},
    ):
        r = client.get("/organization/usage/completions", page=page, **{**params, **changed})
        assert r.status_code == 400, changed
        assert r.json()["error"]["param"] == "page"
    # a cursor is only valid on the endpoint that issued it
    assert client.get("/organization/usage/embeddings", page=page, **params).status_code == 400
    r = client.get("/organization/usage/completions", page="page_not-a-cursor", **params)
    assert r.status_code == 400 and r.json()["error"]["message"] == "Invalid page cursor."
