"""A scheduled load imports the loader and nothing else of the project: not the alerts, the report,
the summary or the simulator (the simulator serving it runs in another process)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
from loader_testkit import cli_env

REPO_ROOT = Path(__file__).resolve().parents[2]
SURFACES = ("openai_finops_surfaces", "openai_simulator")
# The loading process itself: `python -m loader ...`, then what it imported, as JSON on stdout.
PROBE = """
import json, runpy, sys
sys.argv = ["loader", *sys.argv[1:]]
try:
    runpy.run_module("loader", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as stop:
    code = stop.code
packages = {"loader", "openai_finops_surfaces", "openai_simulator"}
ours = sorted(m for m in sys.modules if m.split(".")[0] in packages)
print(json.dumps({"code": code, "modules": ours}))
"""


def test_a_load_imports_none_of_the_surfaces_or_the_simulator(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "loader", "simulate", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        org_id, admin_key = server.stdout.readline().split()
        env = cli_env(tmp_path, base_url, OPENAI_ADMIN_KEY=admin_key, OPENAI_ORG_ID=org_id)
        start = (date.today() - timedelta(days=2)).isoformat()
        args = ["--start", start, "--endpoints", "costs,projects", "--quiet"]
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert probe.returncode == 0, probe.stderr[-3000:]
    outcome = json.loads(probe.stdout.strip().splitlines()[-1])
    assert outcome["code"] == 0, probe.stderr[-3000:]
    assert {"loader.cli", "loader.pipeline", "loader.source", "loader.run_log"} <= set(outcome["modules"])
    imported = [name for name in outcome["modules"] if name.startswith(SURFACES)]
    assert imported == []
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select status from openai_raw.loader_runs").fetchall() == [("succeeded",)]
