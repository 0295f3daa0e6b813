"""The costs endpoint: live rules, exact amounts, and reconciliation with usage x the price table."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from openai_simulator import Simulator, SimulatorConfig, catalog, serve

from .support import DAY, NOW, NOW_TS, Client

D0 = 1772323200  # 2026-03-01, final (age >= 3 days at NOW)
KEY_GROUPING_SINCE = 1764979200


def parse(resp_text: str) -> dict:
    return json.loads(resp_text, parse_float=Decimal)


def value(amount: object) -> Decimal:
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def test_only_1d_buckets(client: Client) -> None:
    r = client.get("/organization/costs", start_time=D0, bucket_width="1h")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["param"] == "bucket_width" and err["type"] == "invalid_request_error"
    assert "Supported values are: '1d'" in err["message"]


def test_limit_default_7_max_180_above_is_rejected_not_clamped(client: Client) -> None:
    start = NOW_TS - 200 * DAY
    assert len(client.ok("/organization/costs", start_time=start)["data"]) == 7
    assert len(client.ok("/organization/costs", start_time=start, limit=180)["data"]) == 180
    r = client.get("/organization/costs", start_time=start, limit=366)
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "message": "Invalid limit provided: 366. Limit must be less than or equal to 180.",
            "type": "invalid_request_error",
            "param": "limit",
            "code": "invalid_request_error",
        }
    }


def test_api_key_grouping_is_refused_before_2025_12_06(client: Client) -> None:
    for group_by in (["api_key_id"], ["project_id", "api_key_id"], ["line_item", "api_key_id"]):
        r = client.get("/organization/costs", start_time=KEY_GROUPING_SINCE - 1, group_by=group_by)
        assert r.status_code == 400
        err = r.json()["error"]
        assert (err["param"], err["code"], err["type"]) == (
            "start_time",
            "invalid_request_error",
            "invalid_request_error",
        )
    ok = client.ok("/organization/costs", start_time=KEY_GROUPING_SINCE, group_by="api_key_id")
    assert ok["data"][0]["start_time"] == KEY_GROUPING_SINCE
    # other dimensions read further back
    assert client.get(
        "/organization/costs", start_time=KEY_GROUPING_SINCE - 30 * DAY, group_by="line_item"
    ).ok


def test_buckets_align_to_utc_midnight_and_include_today(client: Client) -> None:
    start = NOW_TS - 3 * DAY + 4321
    body = client.ok("/organization/costs", start_time=start)
    midnight = start - start % DAY
    assert [(b["start_time"], b["end_time"]) for b in body["data"]] == [
        (midnight + i * DAY, midnight + (i + 1) * DAY) for i in range(4)
    ]
    assert body["data"][-1]["start_time"] == NOW_TS - NOW_TS % DAY
    assert body["data"][-1]["results"]  # today's partial spend is already visible


def test_key_level_rows_equal_ground_truth_exactly(sim: Simulator, client: Client) -> None:
    org = sim.organizations[0].org_id
    r = client.get(
        "/organization/costs", start_time=D0, limit=10, group_by=["project_id", "line_item", "api_key_id"]
    )
    served = {}
    for b in parse(r.text)["data"]:
        day = datetime.fromtimestamp(b["start_time"], UTC).date()
        for row in b["results"]:
            key = (day, row["project_id"], row["line_item"], row["api_key_id"])
            assert key not in served
            served[key] = (value(row["amount"]["value"]), value(row["quantity"]), row.get("quantity_unit"))
    truth = {
        (g["date"], g["project_id"], g["line_item"], g["api_key_id"]): (
            g["amount"],
            g["quantity"],
            g["quantity_unit"],
        )
        for g in sim.ground_truth_costs(org, date(2026, 3, 1), date(2026, 3, 10))
    }
    # Some lines leave quantity_unit out or null (missing_units, as the schema allows); every
    # unit that is served is the true one.
    unitless = {key for key, (_, _, unit) in served.items() if unit is None}
    assert 0 < len(unitless) < len(served) / 3
    assert {key: (amount, quantity) for key, (amount, quantity, _) in served.items()} == {
        key: (amount, quantity) for key, (amount, quantity, _) in truth.items()
    }
    assert all(truth[key][2] == unit for key, (_, _, unit) in served.items() if key not in unitless)
    assert len(truth) > 1000
    assert {k[3] is None for k in truth} == {True, False}  # storage and code interpreter have no key


def test_amount_value_is_number_or_string_mixed_incl_live_oddities(client: Client) -> None:
    r = client.get("/organization/costs", start_time=D0, limit=9, group_by=["project_id", "line_item"])
    kinds: Counter = Counter()
    for b in json.loads(r.text, parse_float=Decimal)["data"]:
        for row in b["results"]:
            v = row["amount"]["value"]
            if isinstance(v, str):
                Decimal(v)  # parses exactly
                kinds[
                    "0E-6176" if v == "0E-6176" else "long" if len(v.split(".")[-1]) == 39 else "string"
                ] += 1
            else:
                assert isinstance(v, Decimal | int)
                kinds["number"] += 1
            assert row["amount"]["currency"] == "usd"
    assert set(kinds) == {"number", "string", "long", "0E-6176"}
    assert kinds["number"] > kinds["string"]
    assert '"0.0000' in r.text or '"0.000' in r.text


def test_quantity_only_when_grouped_by_line_item(client: Client) -> None:
    for group_by, filled in (
        (["line_item"], True),
        (["project_id"], False),
        ([], False),
        (["api_key_id"], False),
    ):
        body = client.ok("/organization/costs", start_time=D0, limit=2, group_by=group_by)
        results = [row for b in body["data"] for row in b["results"]]
        assert results
        for row in results:
            assert (row["quantity"] is not None) == filled
            if not filled:
                assert row.get("quantity_unit") is None
    body = client.ok("/organization/costs", start_time=D0, limit=7, group_by="line_item")
    units: dict[str, set] = {}
    for row in (row for b in body["data"] for row in b["results"]):
        units.setdefault(row["line_item"], set()).add(row.get("quantity_unit"))
    assert units["gpt-4o-mini-2024-07-18, input"] - {None} == {"tokens"}  # or left out on some days
    assert units["assistants api | file search storage"] - {None} == {"gibibyte_hours"}


def test_line_item_alone_still_splits_per_project(client: Client) -> None:
    by_item = parse(client.get("/organization/costs", start_time=D0, limit=1, group_by="line_item").text)
    both = parse(
        client.get("/organization/costs", start_time=D0, limit=1, group_by=["line_item", "project_id"]).text
    )
    pick = lambda body: sorted(  # noqa: E731
        (r["project_id"], r["line_item"], value(r["amount"]["value"])) for r in body["data"][0]["results"]
    )
    assert pick(by_item) == pick(both)
    assert all(r["project_id"] for r in by_item["data"][0]["results"])


def test_every_grouping_sums_to_the_ungrouped_total(client: Client) -> None:
    totals = {}
    for group_by in (
        [],
        ["project_id"],
        ["line_item"],
        ["api_key_id"],
        ["project_id", "line_item", "api_key_id"],
    ):
        body = parse(client.get("/organization/costs", start_time=D0, limit=3, group_by=group_by).text)
        totals[tuple(group_by)] = [
            sum(value(r["amount"]["value"]) for r in b["results"]) for b in body["data"]
        ]
        if not group_by:
            assert all(len(b["results"]) == 1 for b in body["data"])
    assert len(set(map(tuple, totals.values()))) == 1
    assert all(t > 50 for t in totals[()])


def test_filters_project_and_api_key(sim: Simulator, client: Client) -> None:
    truth = sim.ground_truth_costs(sim.organizations[0].org_id, date(2026, 3, 1), date(2026, 3, 1))
    pid = truth[0]["project_id"]
    kid = next(g["api_key_id"] for g in truth if g["api_key_id"])
    for params, keep in (
        ({"project_ids": pid}, lambda g: g["project_id"] == pid),
        ({"api_key_ids": kid}, lambda g: g["api_key_id"] == kid),
    ):
        body = parse(client.get("/organization/costs", start_time=D0, limit=1, **params).text)
        assert value(body["data"][0]["results"][0]["amount"]["value"]) == sum(
            g["amount"] for g in truth if keep(g)
        )


def _usage_quantities(client: Client, day: int) -> dict[tuple[str, str], Decimal]:
    """Billed quantities per (project, line item) derived from the usage endpoints alone."""
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)

    def rows(name: str, group_by: list[str]) -> list[dict]:
        body = client.ok(f"/organization/usage/{name}", start_time=day, end_time=day + DAY, group_by=group_by)
        return body["data"][0]["results"]

    for r in rows("completions", ["project_id", "model", "batch", "service_tier"]):
        g = lambda f, r=r: r.get(f, 0)  # noqa: E731 - optional fields may be absent
        b = catalog.TEXT_MODELS[r["model"]].billing_name
        p = "batch " if r["batch"] else "" if r["service_tier"] == "default" else r["service_tier"] + " "
        for item, qty in (
            (f"{b}, {p}input", g("input_text_tokens") + g("input_cache_write_tokens")),
            (f"{b}, {p}cached input", g("input_cached_text_tokens")),
            (f"{b}, {p}output", g("output_text_tokens")),
            (f"{b} audio, input", g("input_audio_tokens")),
            (f"{b} audio, cached input", g("input_cached_audio_tokens")),
            (f"{b} audio, output", g("output_audio_tokens")),
            (f"{b} image, input", g("input_image_tokens")),
            (f"{b} image, cached input", g("input_cached_image_tokens")),
        ):
            if qty:
                out[(r["project_id"], item)] += qty
    for name, field in (("embeddings", "input_tokens"), ("moderations", "input_tokens")):
        for r in rows(name, ["project_id", "model"]):
            out[(r["project_id"], f"{r['model']}, input")] += r[field]
    for r in rows("images", ["project_id", "model", "size"]):
        out[(r["project_id"], f"{r['model']}, {r['size']}")] += r["images"]
    for r in rows("audio_speeches", ["project_id", "model"]):
        out[(r["project_id"], f"{r['model']}, characters")] += r["characters"]
    for r in rows("audio_transcriptions", ["project_id", "model"]):
        out[(r["project_id"], f"{r['model']}, seconds")] += r["seconds"]
    for r in rows("code_interpreter_sessions", ["project_id"]):
        out[(r["project_id"], catalog.LINE_CODE_INTERPRETER)] += r["num_sessions"]
    for r in rows("file_search_calls", ["project_id"]):
        out[(r["project_id"], catalog.LINE_FILE_SEARCH)] += r["num_requests"]
    for r in rows("web_search_calls", ["project_id"]):
        out[(r["project_id"], catalog.LINE_WEB_SEARCH)] += r["num_requests"]
    for r in rows("vector_stores", ["project_id"]):
        gib_hours = (Decimal(r["usage_bytes"]) * 24 / (1 << 30)).quantize(Decimal("1e-9"), ROUND_HALF_EVEN)
        out[(r["project_id"], catalog.LINE_VECTOR_STORAGE)] += gib_hours
    return dict(out)


def _billed(client: Client, day: int) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    r = client.get("/organization/costs", start_time=day, limit=1, group_by=["project_id", "line_item"])
    return {
        (row["project_id"], row["line_item"]): (value(row["quantity"]), value(row["amount"]["value"]))
        for row in parse(r.text)["data"][0]["results"]
    }


def test_costs_reconcile_exactly_with_usage_times_the_price_table(client: Client) -> None:
    day = D0 + 2 * DAY
    usage = _usage_quantities(client, day)
    billed = _billed(client, day)
    cost_only = {k for k in billed if catalog.PRICES[k[1]].product in ("fine_tuning", "evals")}
    assert {k: q for k, (q, _) in billed.items() if k not in cost_only} == usage
    assert len(usage) > 80
    for (_, item), (qty, amount) in billed.items():
        row = catalog.PRICES[item]
        assert amount == (qty * row.price / row.per).quantize(Decimal("1e-12"), ROUND_HALF_EVEN)
    assert sum(a for _, a in billed.values()) > 100


def test_price_drift_opens_a_real_gap() -> None:
    drift = Simulator(SimulatorConfig(seed=7, now=NOW, price_drift=Decimal("0.05")))
    exact = Simulator(SimulatorConfig(seed=7, now=NOW))
    org = exact.organizations[0].org_id
    a = exact.ground_truth_costs(org, date(2026, 3, 2), date(2026, 3, 2))
    b = drift.ground_truth_costs(org, date(2026, 3, 2), date(2026, 3, 2))
    assert [(x["line_item"], x["quantity"]) for x in a] == [(x["line_item"], x["quantity"]) for x in b]
    for x, y in zip(a, b, strict=True):
        assert abs(y["amount"] - x["amount"] * Decimal("1.05")) <= Decimal("1e-12")
    with serve(drift) as server:
        c = Client(server, drift.organizations[0].admin_key)
        billed = _billed(c, D0 + DAY)
        item = "gpt-4o-mini-2024-07-18, input"
        qty, amount = next(v for k, v in billed.items() if k[1] == item)
        assert amount == (qty * Decimal("0.15") * Decimal("1.05") / 1_000_000).quantize(Decimal("1e-12"))
        assert amount != (qty * Decimal("0.15") / 1_000_000).quantize(Decimal("1e-12"))


def test_line_items_use_the_live_naming(sim: Simulator) -> None:
    items = {
        g["line_item"]
        for o in sim.organizations
        for g in sim.ground_truth_costs(o.org_id, sim.history_start, NOW.date())
    }
    assert {
        "gpt-4o-2024-08-06, input",
        "gpt-4o-2024-08-06, cached input",
        "gpt-4o-2024-08-06, output",
        "gpt-4o-2024-08-06, batch input",
        "ft-gpt-4o-2024-08-06, training",
        "ft-gpt-4o-2024-08-06, input",
        "gpt-4o-mini-2024-07-18 audio, input",
        "gpt-4o-2024-08-06 image, cached input",
        "assistants api | file search",
        "assistants api | code interpreter",
        "assistants api | file search storage",
        "web search tool calls",
        "evals | gpt-4o-mini-2024-07-18, input",
        "text-embedding-3-large, input",
        "dall-e-3, 1024x1024",
        "tts-1, characters",
        "whisper-1, seconds",
        "o3-2025-04-16, flex input",
        "gpt-4.1-2025-04-14, priority input",
        "omni-moderation-2024-09-26, input",
    } <= items
    assert items <= set(catalog.PRICES)
