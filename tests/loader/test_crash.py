"""A loader process killed with SIGKILL, then rerun, leaves the same tables as an uninterrupted run."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from loader_testkit import REPO_ROOT, cli_env, loader_command, new_sim, run_cli, snapshot

from openai_simulator import Simulator, SimulatorServer, serve


def _normalized_package_exists(workdir: Path) -> bool:
    return any((workdir / "pipelines" / "openai_finops" / "load" / "normalized").glob("*"))


def _kill_when(env: dict[str, str], args: list[str], ready: Callable[[], bool]) -> int:
    process = subprocess.Popen(
        loader_command(*args), cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.005)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    return process.wait(timeout=30)


@dataclass
class Reference:
    sim: Simulator
    server: SimulatorServer
    args: list[str]
    tables: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    """An uninterrupted run. The subprocess runs on the wall clock, so the simulator does too;
    --end keeps every run's window identical (up to yesterday, in the past for the simulator)."""
    sim = new_sim(now=None)
    org = sim.organizations[0]
    args = ["--end", (sim.now - timedelta(days=1)).date().isoformat(), "--quiet"]
    workdir = tmp_path_factory.mktemp("reference")
    with serve(sim) as server:
        env = cli_env(workdir, server.base_url, OPENAI_ADMIN_KEY=org.admin_key, OPENAI_ORG_ID=org.org_id)
        done = run_cli(env, *args)
        assert done.returncode == 0, done.stderr
        tables = snapshot(workdir / "warehouse.duckdb")
        assert tables["costs"]
        yield Reference(sim, server, args, tables)


@pytest.mark.parametrize("phase", ["extract", "load"])
def test_sigkill_then_rerun_equals_uninterrupted_run(
    phase: str, reference: Reference, tmp_path: Path
) -> None:
    sim, server, args = reference.sim, reference.server, reference.args
    org = sim.organizations[0]
    killed_dir = tmp_path / "killed"
    env = cli_env(killed_dir, server.base_url, OPENAI_ADMIN_KEY=org.admin_key, OPENAI_ORG_ID=org.org_id)
    if phase == "extract":
        sent = len(server.requests)

        def ready() -> bool:  # about half of the run's ~46 requests answered
            return len(server.requests) >= sent + 20

    else:

        def ready() -> bool:
            return _normalized_package_exists(killed_dir)

    assert _kill_when(env, args, ready) == -signal.SIGKILL
    # Killed mid-extract nothing is pending yet; killed mid-load a package is left to finish.
    assert _normalized_package_exists(killed_dir) == (phase == "load")
    rerun = run_cli(env, *args)
    assert rerun.returncode == 0, rerun.stderr

    assert snapshot(killed_dir / "warehouse.duckdb") == reference.tables
