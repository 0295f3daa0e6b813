"""Contract test: every response of every endpoint validates against OpenAI's openapi.yaml.

Validation runs with the live quirks on (extras: undocumented fields, keys missing instead of null)
except `amount.value` strings, which the spec types as number. That one documented deviation
(CONTRACT §7 #4) is asserted separately, so the schema is never weakened silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator

from openai_simulator import Simulator, SimulatorConfig, catalog, serve
from openai_simulator.server import SimulatorServer

from .support import DAY, NOW, NOW_TS, Client

SPEC = Path("/work/shared/openai-admin-api/openapi.yaml")
if not SPEC.exists():  # a checkout next to the shared contract folder
    SPEC = Path(__file__).resolve().parents[3] / "shared" / "openai-admin-api" / "openapi.yaml"
START = NOW_TS - 2 * DAY - 777
USAGE_RESPONSE = "#/components/schemas/UsageResponse"


class Contract:
    """Validators for the spec's component schemas, with every `$ref` inlined once (fast, same rules)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._inlined: dict[str, Any] = {}
        self._validators: dict[str, Draft202012Validator] = {}

    def _resolve(self, ref: str) -> Any:
        node: Any = self.spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def _inline(self, node: Any, depth: int = 0) -> Any:
        assert depth < 50, "recursive schema"
        if isinstance(node, dict):
            if set(node) == {"$ref"}:
                ref = node["$ref"]
                if ref not in self._inlined:
                    self._inlined[ref] = self._inline(self._resolve(ref), depth + 1)
                return self._inlined[ref]
            return {k: self._inline(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self._inline(v, depth + 1) for v in node]
        return node

    def validator(self, ref: str) -> Draft202012Validator:
        if ref not in self._validators:
            schema = self._inline({"$ref": ref})
            Draft202012Validator.check_schema(schema)
            self._validators[ref] = Draft202012Validator(schema)
        return self._validators[ref]

    def response_ref(self, path_template: str, status: str = "200") -> str:
        response = self.spec["paths"][path_template]["get"]["responses"][status]
        if "$ref" in response:  # e.g. '#/components/responses/TooManyRequests'
            response = self._resolve(response["$ref"])
        return response["content"]["application/json"]["schema"]["$ref"]

    def check(self, ref: str, body: Any) -> None:
        if ref == USAGE_RESPONSE:
            self._check_usage(body)
            return
        errors = sorted(self.validator(ref).iter_errors(body), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5])

    def result_branches(self) -> dict[str, str]:
        """`object` value -> result schema ref, from UsageTimeBucket.results.items.oneOf."""
        one_of = self._resolve("#/components/schemas/UsageTimeBucket")["properties"]["results"]["items"][
            "oneOf"
        ]
        out = {}
        for branch in one_of:
            schema = self._resolve(branch["$ref"])
            assert "object" in schema["required"]
            (value,) = schema["properties"]["object"]["enum"]
            out[value] = branch["$ref"]
        return out

    def _check_usage(self, body: Any) -> None:
        """UsageResponse, with the results oneOf dispatched on `object` (the spec's discriminator).

        Equivalent to the oneOf because every branch requires a distinct `object` constant
        (`test_result_branches_are_discriminated_by_object`), and ~10x faster.
        """
        if "_envelope" not in self._validators:
            schema = json.loads(json.dumps(self._inline({"$ref": USAGE_RESPONSE})))
            schema["properties"]["data"]["items"]["properties"]["results"]["items"] = {"type": "object"}
            self._validators["_envelope"] = Draft202012Validator(schema)
        errors = list(self._validators["_envelope"].iter_errors(body))
        branches = self.result_branches()
        for i, bucket in enumerate(body["data"]):
            for j, row in enumerate(bucket["results"]):
                assert row.get("object") in branches, (
                    f"data/{i}/results/{j}: unknown object {row.get('object')!r}"
                )
                errors += [e for e in self.validator(branches[row["object"]]).iter_errors(row)]
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5])


@pytest.fixture(scope="session")
def contract() -> Contract:
    with SPEC.open() as f:
        return Contract(yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


@pytest.fixture(scope="session")
def numbers() -> Iterator[tuple[Simulator, SimulatorServer, Client]]:
    sim = Simulator(SimulatorConfig(seed=7, now=NOW, extras=True, amount_strings=False))
    with serve(sim) as server:
        yield sim, server, Client(server, sim.organizations[0].admin_key)


def _variants(name: str) -> list[dict[str, object]]:
    dims = list(catalog.ENDPOINTS[name].group_dims)
    return [
        {"bucket_width": "1d", "limit": 3},
        {"bucket_width": "1d", "group_by": dims},
        {"bucket_width": "1h", "limit": 30, "group_by": dims[:1]},
        {"bucket_width": "1m", "limit": 90, "group_by": dims[-2:]},
    ]


def test_result_branches_are_discriminated_by_object(contract: Contract) -> None:
    branches = contract.result_branches()
    assert len(branches) == 11
    assert {catalog.ENDPOINTS[n].result_object for n in catalog.ENDPOINTS} | {
        "organization.costs.result"
    } == set(branches)
    # the full oneOf agrees with the dispatch on a real mixed sample
    bucket = contract.validator("#/components/schemas/UsageTimeBucket")
    sample = {
        "object": "bucket",
        "start_time": 0,
        "end_time": 60,
        "results": [
            {"object": "organization.usage.file_searches.result", "num_requests": 2, "project_id": None},
            {"object": "organization.costs.result", "amount": {"value": 0.5, "currency": "usd"}},
        ],
    }
    assert list(bucket.iter_errors(sample)) == []
    sample["results"][1]["amount"]["value"] = "0.5"
    assert [e.validator for e in bucket.iter_errors(sample)] == ["oneOf"]


@pytest.mark.parametrize("name", sorted(catalog.ENDPOINTS))
def test_usage_endpoints_validate(contract: Contract, numbers: tuple, name: str) -> None:
    _, _, client = numbers
    ref = contract.response_ref(f"/organization/usage/{name}")
    assert ref == "#/components/schemas/UsageResponse"
    seen = 0
    for params in _variants(name):
        body = client.ok(f"/organization/usage/{name}", start_time=START, **params)
        contract.check(ref, body)
        seen += sum(len(b["results"]) for b in body["data"])
    assert seen > 0
    # following a cursor: the next page validates too
    first = client.ok(f"/organization/usage/{name}", start_time=START, bucket_width="1h", limit=5)
    contract.check(
        ref,
        client.ok(
            f"/organization/usage/{name}",
            start_time=START,
            bucket_width="1h",
            limit=5,
            page=first["next_page"],
        ),
    )


@pytest.mark.parametrize(
    "group_by", [[], ["project_id"], ["line_item"], ["api_key_id"], ["project_id", "line_item", "api_key_id"]]
)
def test_costs_validate_in_number_mode(contract: Contract, numbers: tuple, group_by: list[str]) -> None:
    _, _, client = numbers
    body = client.ok("/organization/costs", start_time=START - 2 * DAY, limit=4, group_by=group_by)
    assert sum(len(b["results"]) for b in body["data"]) >= 4
    contract.check(contract.response_ref("/organization/costs"), body)


def test_metadata_lists_validate(contract: Contract, numbers: tuple) -> None:
    _, _, client = numbers
    projects = client.ok("/organization/projects", include_archived="true")
    contract.check(contract.response_ref("/organization/projects"), projects)
    contract.check(contract.response_ref("/organization/users"), client.ok("/organization/users", limit=100))
    contract.check(
        contract.response_ref("/organization/admin_api_keys"), client.ok("/organization/admin_api_keys")
    )
    for p in projects["data"]:
        for sub, extra in (
            ("api_keys", {"owner_project_access": "any"}),
            ("service_accounts", {}),
            ("users", {}),
        ):
            body = client.ok(f"/organization/projects/{p['id']}/{sub}", **extra)
            assert body["data"]
            contract.check(contract.response_ref(f"/organization/projects/{{project_id}}/{sub}"), body)


def test_error_bodies_validate(contract: Contract) -> None:
    sim = Simulator(SimulatorConfig(seed=7, now=NOW))
    error = "#/components/schemas/ErrorResponse"
    assert contract.response_ref("/organization/usage/completions", "429") == error
    with serve(sim) as server:
        c = Client(server, sim.organizations[0].admin_key)
        responses = [
            c.get("/organization/usage/completions", start_time=START, limit=1000),
            c.get("/organization/usage/completions"),
            c.get("/organization/costs", start_time=START, bucket_width="1h"),
            c.get("/organization/costs", start_time=1764000000, group_by="api_key_id"),
            c.get("/organization/usage/completions", start_time=START, page="page_bogus"),
            c.get("/organization/nothing"),
            c.get("/organization/projects/proj_missing/api_keys"),
            c.session.post(server.base_url + "/organization/costs"),
            requests.get(
                server.base_url + "/organization/costs",
                headers={"Authorization": "Bearer sk-nope-1234567890"},
            ),
            requests.get(
                server.base_url + "/organization/costs",
                headers={"Authorization": "Bearer sk-proj-123456789012"},
            ),
        ]
        for kind in ("429", "500", "503"):
            sim.faults.inject(kind)
            responses.append(c.get("/organization/costs", start_time=START))
    assert [r.status_code for r in responses] == [
        400,
        400,
        400,
        400,
        400,
        404,
        404,
        405,
        401,
        403,
        429,
        500,
        503,
    ]
    for r in responses:
        contract.check(error, r.json())


def test_amount_strings_are_the_only_deviation_from_the_schema(contract: Contract, client: Client) -> None:
    """Live quirk §7 #4: amount.value may be a decimal string; everything else still validates."""
    body = client.ok(
        "/organization/costs", start_time=START - 10 * DAY, limit=14, group_by=["project_id", "line_item"]
    )
    result_validator = contract.validator("#/components/schemas/CostsResult")
    strings = 0
    for b in body["data"]:
        for row in b["results"]:
            errors = list(result_validator.iter_errors(row))
            if isinstance(row["amount"]["value"], str):
                strings += 1
                assert [(list(e.absolute_path), e.validator) for e in errors] == [
                    (["amount", "value"], "type")
                ]
                row["amount"]["value"] = float(row["amount"]["value"])
            else:
                assert errors == []
    assert strings > 20
    contract.check(contract.response_ref("/organization/costs"), body)  # with the strings as numbers


def test_served_numbers_parse_to_the_exact_decimals(numbers: tuple) -> None:
    sim, _, client = numbers
    start = START - START % DAY - 3 * DAY
    r = client.get(
        "/organization/costs", start_time=start, limit=3, group_by=["project_id", "line_item", "api_key_id"]
    )
    served = sorted(
        (
            b["start_time"],
            row["project_id"],
            row["line_item"],
            row["api_key_id"] or "",
            row["amount"]["value"],
        )
        for b in json.loads(r.text, parse_float=Decimal)["data"]
        for row in b["results"]
    )
    assert all(isinstance(v[-1], Decimal | int) for v in served)
    first = datetime.fromtimestamp(start, UTC).date()
    truth = sorted(
        (
            start + (g["date"] - first).days * DAY,
            g["project_id"],
            g["line_item"],
            g["api_key_id"] or "",
            g["amount"],
        )
        for g in sim.ground_truth_costs(sim.organizations[0].org_id, first, first + timedelta(days=2))
    )
    assert served == truth and len(truth) > 100


def _ts(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())
