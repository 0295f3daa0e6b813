"""dbt while a load holds the DuckDB warehouse: scripts/dbt.sh names the loader, not a lock error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from loader.pipeline import pipeline_lock
from loader.settings import LoaderSettings

REPO_ROOT = Path(__file__).resolve().parents[2]


def _check(pipelines_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENAI_FINOPS_PIPELINES_DIR": str(pipelines_dir)}
    env["OPENAI_FINOPS_DUCKDB"] = "w/x.duckdb"
    command = [sys.executable, "-m", "loader.warehouse_busy"]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)


def test_dbt_is_told_which_loader_holds_the_warehouse(tmp_path: Path) -> None:
    settings = LoaderSettings(organizations=(), pipelines_dir=tmp_path / "pipelines")
    assert _check(settings.pipelines_dir).returncode == 0  # no loader ever ran: not busy
    with pipeline_lock(settings):
        busy = _check(settings.pipelines_dir)
    after = _check(settings.pipelines_dir)

    assert busy.returncode == 3
    assert busy.stderr.startswith(f"warehouse busy: a loader (pid {os.getpid()}, started ")
    assert "is loading w/x.duckdb; DuckDB lets one process write the file" in busy.stderr
    assert after.returncode == 0 and after.stderr == ""  # the lock file stays; its flock is gone
