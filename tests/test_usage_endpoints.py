"""The usage endpoints are defined once on each side: dbt's list (macros/openai_usage_endpoints.sql)
and the loader's (loader/endpoints.py) name the same endpoints, dimensions and quantities."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from loader.endpoints import USAGE_ENDPOINTS, result_fields

if TYPE_CHECKING:
    from conftest import DemoWarehouse


def test_dbt_reads_what_the_loader_loads(demo_warehouse: DemoWarehouse) -> None:
    done = demo_warehouse.dbt("run-operation", "print_usage_endpoints", "--quiet")
    dbt_endpoints = json.loads(done.stdout.strip().splitlines()[-1])
    assert [endpoint["name"] for endpoint in dbt_endpoints] == [endpoint.name for endpoint in USAGE_ENDPOINTS]
    for dbt_endpoint, endpoint in zip(dbt_endpoints, USAGE_ENDPOINTS, strict=True):
        assert sorted(dbt_endpoint["raw_dimensions"]) == sorted(endpoint.group_by), endpoint.name
        quantities = [name for name, spec in result_fields(endpoint).items() if spec["data_type"] == "bigint"]
        assert sorted(dbt_endpoint["quantities"]) == sorted(quantities), endpoint.name
