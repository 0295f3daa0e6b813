"""The dlt settings the loader relies on come from .dlt/config.toml, wherever the loader runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from loader_testkit import REPO_ROOT

from loader.pipeline import LOADER_DLT_SETTINGS

# What the loader's pipeline reads: its extract, normalize and load steps resolve these from dlt config.
READ_SETTINGS = """
import json, sys
from pathlib import Path

import dlt
from dlt.common.configuration import resolve_configuration
from dlt.load.configuration import LoaderConfiguration
from dlt.normalize.configuration import NormalizeConfiguration

from loader.pipeline import make_pipeline
from loader.settings import LoaderSettings, Organization

workdir = Path(sys.argv[1])
settings = LoaderSettings(
    organizations=(Organization("acme", "org-acme", "sk-admin-not-used"),),
    duckdb_path=workdir / "warehouse.duckdb",
    pipelines_dir=workdir / "pipelines",
)
pipeline = make_pipeline(settings)
name = pipeline.pipeline_name
load = resolve_configuration(LoaderConfiguration(), sections=("load",), accept_partial=True)
normalize = resolve_configuration(NormalizeConfiguration(), sections=("normalize",), accept_partial=True)
print(json.dumps({
    "keys": {key: dlt.config.get(key) for key in sys.argv[2:]},
    "load.delete_completed_jobs": load._load_storage_config.delete_completed_jobs,
    "normalize.workers": normalize.workers,
    "normalize.parquet_normalizer.add_dlt_load_id": normalize.parquet_normalizer.add_dlt_load_id,
}))
"""


def _committed_settings() -> dict[str, Any]:
    """Every value of .dlt/config.toml outside [runtime] (read by dlt at start) and [sources]."""
    flat: dict[str, Any] = {}

    def walk(table: dict[str, Any], path: tuple[str, ...]) -> None:
        for name, value in table.items():
            if isinstance(value, dict):
                walk(value, (*path, name))
            else:
                flat[".".join((*path, name))] = value

    document = tomllib.loads(LOADER_DLT_SETTINGS.read_text())
    walk({name: table for name, table in document.items() if name not in ("runtime", "sources")}, ())
    return flat


def _read_settings(cwd: Path, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    expected = _committed_settings()
    done = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS, str(workdir), *expected],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _clean_env(**extra: str) -> dict[str, str]:
    sections = ("DLT_", "NORMALIZE__", "LOAD__", "EXTRACT__", "DATA_WRITER__", "RUNTIME__")
    env = {key: value for key, value in os.environ.items() if not key.startswith(sections)}
    return env | {"PYTHONPATH": str(REPO_ROOT)} | extra


def test_committed_settings_are_the_ones_the_loader_relies_on() -> None:
    settings = _committed_settings()
    assert settings["load.delete_completed_jobs"] is True
    assert settings["extract.next_item_mode"] == "fifo"
    assert settings["normalize.parquet_normalizer.add_dlt_load_id"] is True
    assert settings["normalize.workers"] == 1
    assert settings["data_writer.file_max_items"] == 100_000


def test_the_pipeline_reads_them_from_the_repository_as_the_tests_run_it(tmp_path: Path) -> None:
    read = _read_settings(REPO_ROOT, tmp_path, _clean_env(HOME=str(tmp_path)))
    assert read["keys"] == _committed_settings()
    assert read["load.delete_completed_jobs"] is True
    assert read["normalize.workers"] == 1
    assert read["normalize.parquet_normalizer.add_dlt_load_id"] is True


def test_the_pipeline_reads_them_from_anywhere_else(tmp_path: Path) -> None:
    # As the CLI tests run the loader: another working directory, an empty dlt project directory.
    project = tmp_path / "dlt_project"
    project.mkdir()
    read = _read_settings(tmp_path, tmp_path, _clean_env(HOME=str(tmp_path), DLT_PROJECT_DIR=str(project)))
    assert read["keys"] == _committed_settings()
    assert read["load.delete_completed_jobs"] is True
    assert read["normalize.parquet_normalizer.add_dlt_load_id"] is True


def test_a_value_set_elsewhere_still_wins(tmp_path: Path) -> None:
    project = tmp_path / "dlt_project"
    project.mkdir()
    env = _clean_env(HOME=str(tmp_path), DLT_PROJECT_DIR=str(project), LOAD__DELETE_COMPLETED_JOBS="false")
    read = _read_settings(tmp_path, tmp_path, env)
    assert read["load.delete_completed_jobs"] is False
    assert read["keys"]["extract.next_item_mode"] == "fifo"
