"""The dbt project as a whole: docs generate cleanly, and every public model is documented.

Runs on the session's demo warehouse (loader --demo + dbt build, see conftest.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import DemoWarehouse


@pytest.fixture(scope="module")
def manifest(demo_warehouse: DemoWarehouse) -> dict:
    docs = demo_warehouse.dbt("docs", "generate", check=False)
    assert docs.returncode == 0, docs.stdout[-4000:]
    target = Path(demo_warehouse.env["DBT_TARGET_PATH"])
    assert (target / "catalog.json").exists()
    return json.loads((target / "manifest.json").read_text())


def _models(manifest: dict) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "openai_finops"
    ]


def test_every_model_and_column_is_described(manifest: dict) -> None:
    undocumented = [node["name"] for node in _models(manifest) if not node["description"].strip()]
    assert undocumented == []
    missing_columns = [
        f"{node['name']}.{name}"
        for node in _models(manifest)
        for name, column in node["columns"].items()
        if not column["description"].strip()
    ]
    assert missing_columns == []


def test_every_mart_states_its_grain_first_and_has_a_primary_key_test(manifest: dict) -> None:
    marts = [node for node in _models(manifest) if node["config"]["schema"] == "marts"]
    assert {"fct_openai_cost", "fct_openai_usage", "fct_openai_cost_allocated"} <= {m["name"] for m in marts}
    for mart in marts:
        assert mart["description"].startswith("One row per"), mart["name"]
    tested = {
        dep
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("test_metadata", {}).get("name") in {"unique", "unique_combination_of_columns"}
        for dep in node["depends_on"]["nodes"]
    }
    untested = [mart["name"] for mart in marts if mart["unique_id"] not in tested]
    assert untested == []


def test_marts_and_surface_models_are_public_with_enforced_contracts(manifest: dict) -> None:
    """What BI tools and the surfaces read is a public interface: every column named and typed,
    checked by dbt on each build; the preparation models are protected."""
    models = _models(manifest)
    public = [node for node in models if node["config"]["schema"] in ("marts", "surfaces")]
    assert {"fct_openai_cost", "mart_spend_anomalies", "rpt_spend_daily"} <= {node["name"] for node in public}
    for node in public:
        assert node["access"] == "public", node["name"]
        assert node["config"]["contract"]["enforced"], node["name"]
        untyped = [name for name, column in node["columns"].items() if not column.get("data_type")]
        assert untyped == [], node["name"]
    preparation = [node for node in models if node["config"]["schema"] in ("staging", "intermediate")]
    assert preparation and {node["access"] for node in preparation} == {"protected"}
    assert {node["group"] for node in models} == {"finops"}


# The folders in the order the data flows through them.
LAYERS = ("staging", "core", "finops", "surfaces")


def test_lineage_flows_one_way_through_the_folders(manifest: dict) -> None:
    """staging/openai -> core -> finops -> surfaces: no model reads a later layer, and no
    preparation model (a `prep` folder) reads a FinOps mart: the lineage never goes down and back
    up. Prep models sit in the schema `intermediate`, the marts of core and finops in `marts`."""
    models = {node["unique_id"]: node for node in _models(manifest)}
    assert {node["fqn"][1] for node in models.values()} == set(LAYERS)
    backwards = []
    for node in models.values():
        is_prep = "prep" in node["fqn"]
        for parent_id in node["depends_on"]["nodes"]:
            parent = models.get(parent_id)
            if parent is None:
                continue  # a seed or a source
            later = LAYERS.index(parent["fqn"][1]) > LAYERS.index(node["fqn"][1])
            finops_mart = parent["fqn"][1] == "finops" and "prep" not in parent["fqn"]
            if later or (is_prep and finops_mart):
                backwards.append(f"{node['name']} reads {parent['name']}")
    assert backwards == []
    prep = {node["name"] for node in models.values() if "prep" in node["fqn"]}
    assert {"int_spend_daily", "int_spend_anomaly_scores", "int_spend_anomaly_flags"} <= prep
    assert all(node["config"]["schema"] == "intermediate" for node in models.values() if node["name"] in prep)


def test_marts_read_by_bi_tools_are_exposed(manifest: dict) -> None:
    exposed = {dep for exposure in manifest["exposures"].values() for dep in exposure["depends_on"]["nodes"]}
    assert "model.openai_finops.fct_openai_cost" in exposed


@pytest.mark.parametrize(
    ("exposure", "code"),
    [
        ("openai_spend_summary", "openai_finops_surfaces/summary.py"),
        ("openai_spend_report", "openai_finops_surfaces/report"),
        ("openai_alerts", "openai_finops_surfaces/alerts"),
    ],
)
def test_each_surface_exposes_the_marts_it_reads(manifest: dict, exposure: str, code: str) -> None:
    """dbt docs shows who reads what: the exposure's depends_on is every model its code names
    (`marts.<model>`, `surfaces.<model>`)."""
    repo = Path(__file__).resolve().parent.parent
    files = sorted((repo / code).rglob("*.py")) if (repo / code).is_dir() else [repo / code]
    assert files and all(path.is_file() for path in files)
    text = "\n".join(path.read_text() for path in files)
    read = set(re.findall(r"(?<![a-z_])(?:marts|surfaces)\.([a-z_]+)", text))
    read |= set(re.findall(r'"(?:marts|surfaces)", "([a-z_]+)"', text))
    (node,) = [node for node in manifest["exposures"].values() if node["name"] == exposure]
    exposed = {dependency.split(".")[-1] for dependency in node["depends_on"]["nodes"]}
    assert exposed == read


def test_documented_columns_exist_in_the_warehouse(demo_warehouse: DemoWarehouse, manifest: dict) -> None:
    catalog = json.loads((Path(demo_warehouse.env["DBT_TARGET_PATH"]) / "catalog.json").read_text())
    for node in _models(manifest):
        built = {name.lower() for name in catalog["nodes"].get(node["unique_id"], {}).get("columns", {})}
        documented = {name.lower() for name in node["columns"]}
        assert documented <= built, (node["name"], sorted(documented - built))
