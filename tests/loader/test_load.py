"""One full load of the simulated organizations: every table, exact costs, GET only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from loader_testkit import (
    ALL_TABLES,
    COSTS_BY_KEY,
    COSTS_GROUP_BY,
    NOW,
    backfill_start,
    files_containing,
    new_sim,
    organizations,
    reference_usage_counts,
    settings_for,
    truth_costs,
    warehouse_costs,
)

from loader.pipeline import RunResult, make_pipeline, run_load
from openai_simulator import Simulator, SimulatorServer, serve


@dataclass
class Loaded:
    sim: Simulator
    server: SimulatorServer
    workdir: Path
    result: RunResult

    @property
    def db(self) -> Path:
        return self.workdir / "warehouse.duckdb"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    sim = new_sim()
    workdir = tmp_path_factory.mktemp("load")
    with serve(sim) as server:
        result = run_load(settings_for(sim, server.base_url, workdir))
        yield Loaded(sim, server, workdir, result)


def test_run_succeeds_for_every_organization(loaded: Loaded) -> None:
    assert loaded.result.ok
    assert loaded.result.report.failures == []
    assert all(stream.completed for stream in loaded.result.report.streams)


def test_every_table_lands(loaded: Loaded) -> None:
    with duckdb.connect(str(loaded.db), read_only=True) as con:
        tables = {
            row[0]
            for row in con.sql(
                "select table_name from information_schema.tables where table_schema = 'openai_raw'"
            ).fetchall()
        }
    assert tables >= ALL_TABLES
    assert all(loaded.result.warehouse_rows[table] > 0 for table in ALL_TABLES)


def test_usage_rows_match_an_independent_fetch(loaded: Loaded) -> None:
    start, end = backfill_start(NOW), int(NOW.timestamp())
    with duckdb.connect(str(loaded.db), read_only=True) as con:
        for org in organizations(loaded.sim):
            expected = reference_usage_counts(loaded.sim, loaded.server.base_url, org, start, end)
            for table, count in expected.items():
                got = con.execute(f"select count(*) from openai_raw.{table} where org_id = ?", [org.org_id])
                assert got.fetchone() == (count,), table


def test_metadata_tables_hold_every_entity(loaded: Loaded) -> None:
    with duckdb.connect(str(loaded.db), read_only=True) as con:
        for org in organizations(loaded.sim):
            world = loaded.sim.org(org.org_id)
            counts = {
                table: con.execute(
                    f"select count(*) from openai_raw.{table} where org_id = ?", [org.org_id]
                ).fetchone()[0]
                for table in ("projects", "users", "project_api_keys", "project_service_accounts")
            }
            assert counts == {
                "projects": len(world.projects),  # archived ones included
                "users": len(world.users),
                "project_api_keys": len([key for key in world.keys if not key.deleted]),
                "project_service_accounts": len(world.service_accounts),
            }
            archived = con.execute(
                "select count(*) from openai_raw.projects where org_id = ? and status = 'archived'",
                [org.org_id],
            ).fetchone()[0]
            assert archived == len([p for p in world.projects if p.archived_at is not None]) > 0


def test_costs_equal_ground_truth_exactly(loaded: Loaded) -> None:
    first_day = date.fromtimestamp(backfill_start(NOW))
    for org in organizations(loaded.sim):
        project_level = truth_costs(loaded.sim, org.org_id, first_day, NOW.date(), by_key=False)
        key_level = truth_costs(loaded.sim, org.org_id, first_day, NOW.date(), by_key=True)
        got_project = {
            k: v for k, v in warehouse_costs(loaded.db, COSTS_GROUP_BY).items() if k[0] == org.org_id
        }
        got_key = {k: v for k, v in warehouse_costs(loaded.db, COSTS_BY_KEY).items() if k[0] == org.org_id}
        assert got_project == project_level
        assert got_key == key_level
        assert sum(project_level.values()) > 0


def test_raw_columns_and_types(loaded: Loaded) -> None:
    with duckdb.connect(str(loaded.db), read_only=True) as con:
        columns = dict(
            con.sql(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'openai_raw' and table_name = 'costs'"
            ).fetchall()
        )
        group_bys = con.sql("select distinct group_by from openai_raw.usage_completions").fetchall()
        widths = con.sql("select distinct bucket_width from openai_raw.costs").fetchall()
        duplicates = con.sql(
            "select count(*) - count(distinct row_key) from openai_raw.usage_completions"
        ).fetchone()
    assert columns["amount__value"] == "DECIMAL(38,18)"
    assert columns["quantity"] == "DECIMAL(38,9)"
    assert columns["bucket_start_at"] == columns["bucket_end_at"] == "TIMESTAMP WITH TIME ZONE"
    assert not [name for name in columns if "__v_" in name]
    assert group_bys == [("api_key_id,batch,model,project_id,service_tier,user_id",)]
    assert widths == [("1d",)]
    assert duplicates == (0,)


def test_only_get_requests_were_sent(loaded: Loaded) -> None:
    requests_seen = loaded.server.requests
    assert requests_seen
    assert {record.method for record in requests_seen} == {"GET"}
    assert {record.status for record in requests_seen} == {200}


def test_admin_keys_never_reach_disk(loaded: Loaded) -> None:
    for org in organizations(loaded.sim):
        assert files_containing([loaded.workdir], org.admin_key) == []


def test_duckdb_checkpoints_during_the_load(loaded: Loaded) -> None:
    # dlt's 1 GB threshold kept a whole slice in memory until the connection closed.
    pipeline = make_pipeline(settings_for(loaded.sim, loaded.server.base_url, loaded.workdir))
    with pipeline.sql_client() as client:
        rows = client.execute_sql("select current_setting('checkpoint_threshold')")
    assert rows == [("15.2 MiB",)]


def test_loaded_packages_keep_no_data_files(loaded: Loaded) -> None:
    packages = list((loaded.workdir / "pipelines").glob("*/load/loaded/*"))
    assert packages, "the load left no package record"
    jobs = [path for package in packages for path in (package / "completed_jobs").rglob("*")]
    assert [path for path in jobs if path.is_file()] == []
