"""Refused keys: exit 1, a clear message, no table changed, the key nowhere on disk or in output."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from loader_testkit import (
    COSTS_GROUP_BY,
    cli_env,
    files_containing,
    new_sim,
    run_cli,
    snapshot,
    truth_costs,
    warehouse_costs,
)

from openai_simulator import Simulator, SimulatorServer, serve

WRONG_ADMIN_KEY = "sk-admin-this-key-does-not-exist-Wx9q"
PROJECT_KEY = "sk-proj-a-project-key-without-admin-scope-Pk7z"


@dataclass
class GoodLoad:
    sim: Simulator
    server: SimulatorServer
    workdir: Path
    window: list[str]


@pytest.fixture(scope="module")
def good_load(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoodLoad]:
    """One organization loaded with its real key; each test works on a copy of it."""
    sim = new_sim(now=None)
    org = sim.organizations[0]
    workdir = tmp_path_factory.mktemp("good")
    window = ["--start", (sim.now - timedelta(days=5)).date().isoformat()]
    with serve(sim) as server:
        env = cli_env(workdir, server.base_url, OPENAI_ADMIN_KEY=org.admin_key, OPENAI_ORG_ID=org.org_id)
        good = run_cli(env, *window)
        assert good.returncode == 0, good.stderr
        yield GoodLoad(sim, server, workdir, window)


@pytest.mark.parametrize(
    ("bad_key", "status"),
    [(WRONG_ADMIN_KEY, "HTTP 401"), (PROJECT_KEY, "HTTP 403")],
    ids=["wrong", "non-admin"],
)
def test_refused_key_changes_nothing_and_is_never_shown(
    bad_key: str, status: str, good_load: GoodLoad, tmp_path: Path
) -> None:
    org = good_load.sim.organizations[0]
    workdir = tmp_path / "run"
    shutil.copytree(good_load.workdir, workdir)
    before = snapshot(workdir / "warehouse.duckdb")
    sent = len(good_load.server.requests)

    bad_env = cli_env(workdir, good_load.server.base_url, OPENAI_ADMIN_KEY=bad_key, OPENAI_ORG_ID=org.org_id)
    bad = run_cli(bad_env, *good_load.window)
    bad_requests = good_load.server.requests[sent:]

    assert before["costs"]
    assert bad.returncode == 1
    assert f"{status}: needs an Admin key with the api.usage.read scope (key ...{bad_key[-4:]})" in bad.stderr
    assert f"python -m loader: {org.org_id} failed" in bad.stderr
    assert "nothing loaded" in bad.stdout
    # Refused at once (no retries), and the organization skipped after its first refusal.
    assert len(bad_requests) == 1 and bad_requests[0].status == int(status[-3:])
    assert bad_key not in bad.stdout + bad.stderr
    assert bad_key[:-4] not in bad.stdout + bad.stderr
    assert snapshot(workdir / "warehouse.duckdb") == before
    # Only the run log, read by `python -m loader alerts`, gains the failed run.
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        runs = con.execute("select status, error from openai_raw.loader_runs order by finished_at").fetchall()
    assert [status for status, _ in runs] == ["succeeded", "failed"]
    error = runs[-1][1]
    assert f"needs an Admin key with the api.usage.read scope (key ...{bad_key[-4:]})" in error
    for key in (bad_key, org.admin_key):
        assert files_containing([workdir], key) == []


def test_two_organizations_one_refused_the_other_loads(tmp_path: Path) -> None:
    sim = new_sim(now=None)
    good, bad = sim.organizations
    env_orgs = {
        "SOURCES__OPENAI__ORGANIZATIONS__GOOD__ORG_ID": good.org_id,
        "SOURCES__OPENAI__ORGANIZATIONS__GOOD__ADMIN_KEY": good.admin_key,
        "SOURCES__OPENAI__ORGANIZATIONS__BAD__ORG_ID": bad.org_id,
        "SOURCES__OPENAI__ORGANIZATIONS__BAD__ADMIN_KEY": WRONG_ADMIN_KEY,
    }
    start_day = (sim.now - timedelta(days=5)).date()
    with serve(sim) as server:
        done = run_cli(cli_env(tmp_path, server.base_url, **env_orgs), "--start", start_day.isoformat())
        sent_by = {record.org_id for record in server.requests}

    assert done.returncode == 1
    verdicts = [line for line in done.stderr.splitlines() if line.startswith("python -m loader: ")]
    assert verdicts == [
        f"python -m loader: bad ({bad.org_id}) failed (usage_completions): organization bad ({bad.org_id}): "
        "GET /organization/projects page 1: HTTP 401: needs an Admin key with the api.usage.read "
        "scope (key ...Wx9q): Incorrect API key provided: sk-...Wx9q. You can find your API key at "
        "https://platform.openai.com/account/api-keys."
    ]
    assert f"failed organizations: bad ({bad.org_id})" in done.stdout
    assert sent_by == {good.org_id, None}  # None: the refused requests carry no organization
    db = tmp_path / "warehouse.duckdb"
    tables = snapshot(db)
    assert {row for rows in tables.values() for row in rows} and all(
        bad.org_id not in row for rows in tables.values() for row in rows
    )
    truth = truth_costs(sim, good.org_id, start_day, sim.now.date(), by_key=False)
    assert warehouse_costs(db, COSTS_GROUP_BY) == truth
    for key in (good.admin_key, WRONG_ADMIN_KEY):
        assert files_containing([tmp_path], key) == []
        assert key not in done.stdout + done.stderr
