"""Responses the field sends and the simulator's endpoints never do: nothing lost, stuck or endless."""

from __future__ import annotations

import logging
import logging.handlers
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import pytest
from loader_testkit import (
    FAST_RETRY,
    backfill_start,
    new_sim,
    organizations,
    settings_for,
    snapshot,
    warehouse_costs,
)

from loader.client import AdminApiClient, InconsistentPaging, NotJson, RequestFailed
from loader.endpoints import (
    COSTS_BY_KEY_GROUP_BY,
    COSTS_ENDPOINT,
    USAGE_ENDPOINTS,
    group_by_label,
    required_fields,
    result_fields,
)
from loader.pipeline import LoaderBusy, make_pipeline, pipeline_lock, run_load
from loader.rows import ResultChecks
from loader.settings import ConfigError, LoaderSettings, RetryPolicy, retry_policy_from_config
from loader.summary import format_summary
from openai_simulator import serve

PROJECT_LEVEL = group_by_label(COSTS_ENDPOINT.group_by)
KEY_LEVEL = group_by_label(COSTS_BY_KEY_GROUP_BY)


def _total(db_path: Path, group_by: str) -> Decimal:
    return sum(warehouse_costs(db_path, group_by).values(), Decimal(0))


def _one_org(settings: LoaderSettings) -> LoaderSettings:
    return replace(settings, organizations=settings.organizations[:1])


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("no_cursor", "has_more is true but next_page is None"),
        ("repeat_cursor", "next_page repeats a cursor already followed"),
    ],
)
def test_inconsistent_paging_deletes_nothing_and_fails_the_stream(
    tmp_path: Path, kind: str, message: str
) -> None:
    sim = new_sim()
    with serve(sim) as server:
        settings = _one_org(settings_for(sim, server.base_url, tmp_path))
        assert run_load(settings).ok
        db = settings.duckdb_path
        before = snapshot(db)
        bill = _total(db, PROJECT_LEVEL)
        assert bill > 0

        # Re-read the whole history (as --start would) with every costs page inconsistent.
        sim.faults.inject(kind, count=10_000, path_contains="/organization/costs")
        again = replace(settings, start=(sim.now - timedelta(days=10)).date())
        result = run_load(again)

    assert not result.ok
    failures = [(table, text) for _, table, text in result.report.failures]
    assert failures and all(table == "costs" and message in text for table, text in failures)
    assert _total(db, PROJECT_LEVEL) == bill  # to the cent: nothing of the window was replaced
    after = snapshot(db)
    assert after["costs"] == before["costs"]
    assert after["usage_completions"] == before["usage_completions"]  # other streams went on
    assert "failed organizations: " + settings.organizations[0].label in format_summary(result, again)


def test_paging_beyond_what_the_window_holds_stops() -> None:
    sim = new_sim()
    sim.faults.inject("repeat_cursor", count=100, path_contains="/usage/completions")
    org = organizations(sim)[0]
    start = int((sim.now - timedelta(days=2)).timestamp()) // 86_400 * 86_400
    params = {"start_time": start, "end_time": start + 86_400, "bucket_width": "1d", "limit": 1}
    with serve(sim) as server:
        client = AdminApiClient(org, server.base_url, FAST_RETRY)
        # Distinct cursors each time would not be caught as repeats: the page cap still ends it.
        client_pages = client.iter_report_pages("/organization/usage/completions", params, max_pages=1)
        with pytest.raises(InconsistentPaging, match="still has_more after 1 pages"):
            for _, buckets in client_pages:
                list(buckets)
    assert client.requests_made == 1


def test_html_sign_in_page_fails_at_once_naming_content_type_and_base_url() -> None:
    sim = new_sim()
    sim.faults.inject("html", count=10, path_contains="/organization/users")
    org = organizations(sim)[0]
    with serve(sim) as server:
        client = AdminApiClient(org, server.base_url, FAST_RETRY)
        with pytest.raises(NotJson) as failure:
            list(client.iter_list("/organization/users", {"limit": 100}))
        text = str(failure.value)
    assert client.requests_made == 1  # not retried
    assert "Content-Type 'text/html; charset=utf-8', not JSON" in text
    assert "body starts '<!DOCTYPE html><html><head><title>Sign in" in text
    assert f"Check OPENAI_BASE_URL (now {server.base_url})" in text
    assert org.admin_key not in text


def test_refused_key_grouping_loads_the_whole_bill_and_warns_once(tmp_path: Path) -> None:
    sim = new_sim()
    sim.faults.inject("400", count=10_000, path_contains="/organization/costs", query_contains="api_key_id")
    with serve(sim) as server:
        settings = _one_org(settings_for(sim, server.base_url, tmp_path / "refused"))
        result = run_load(settings)
    clean_sim = new_sim()
    with serve(clean_sim) as server:
        clean = _one_org(settings_for(clean_sim, server.base_url, tmp_path / "clean"))
        assert run_load(clean).ok

    assert result.ok, result.report.failures
    warnings = [(table, "api_key_id refused (HTTP 400)" in text) for _, table, text in result.report.warnings]
    assert warnings == [("costs", True)]
    db = settings.duckdb_path
    assert _total(db, PROJECT_LEVEL) == _total(clean.duckdb_path, PROJECT_LEVEL) > 0
    assert warehouse_costs(db, KEY_LEVEL) == {}
    assert "per-key costs are unavailable" in format_summary(result, settings)
    # Recorded for dbt: mart_cost_reconciliation says `refused` on these days, with this reason.
    [(table, group_by, status, start, end, reason)] = _refusals(db)
    assert (table, group_by, status) == ("costs", KEY_LEVEL, 400)
    assert start == datetime.fromtimestamp(backfill_start(sim.now), UTC).replace(tzinfo=None)
    assert end == sim.now.replace(tzinfo=None) and reason.startswith("costs grouped by api_key_id refused")


def _refusals(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set timezone = 'UTC'")
        return con.execute(
            "select table_name, group_by, http_status, request_start_at::timestamp,"
            " request_end_at::timestamp, reason from openai_raw.refused_requests order by all"
        ).fetchall()


def test_an_endpoint_the_organization_lacks_is_a_warning(tmp_path: Path) -> None:
    sim = new_sim()
    sim.faults.inject("404", count=10_000, path_contains="/usage/moderations")
    with serve(sim) as server:
        settings = _one_org(settings_for(sim, server.base_url, tmp_path))
        result = run_load(settings)
    assert result.ok, result.report.failures
    assert [(table, "HTTP 404" in text) for _, table, text in result.report.warnings] == [
        ("usage_moderations", True)
    ]
    tables = snapshot(settings.duckdb_path)
    assert tables.get("usage_moderations", []) == []
    assert [row[:3] for row in _refusals(settings.duckdb_path)] == [
        ("usage_moderations", group_by_label(USAGE_ENDPOINTS[2].group_by), 404)
    ]
    assert tables["usage_completions"] and tables["costs"]


def test_a_hanging_server_costs_at_most_read_timeout_times_attempts() -> None:
    sim = new_sim()
    sim.faults.inject("slow", count=3, seconds=1.5, path_contains="/organization/users")
    org = organizations(sim)[0]
    policy = RetryPolicy(max_attempts=2, read_timeout=0.3, backoff_base=0.01, backoff_cap=0.01)
    with serve(sim) as server:
        client = AdminApiClient(org, server.base_url, policy)
        began = time.monotonic()
        with pytest.raises(RequestFailed, match="gave up after 2 attempts: ReadTimeout"):
            list(client.iter_list("/organization/users", {"limit": 100}))
        elapsed = time.monotonic() - began
    assert client.requests_made == 2
    assert elapsed < 2 * 0.3 + 1.0  # the limits, plus slack for a loaded machine: not 2 x 1.5 s


def test_the_organization_deadline_stops_its_requests() -> None:
    sim = new_sim()
    org = organizations(sim)[0]
    with serve(sim) as server:
        client = AdminApiClient(org, server.base_url, RetryPolicy(organization_deadline=0.0))
        time.sleep(0.01)
        with pytest.raises(RequestFailed, match="deadline of 0 minutes has passed"):
            list(client.iter_list("/organization/users", {"limit": 100}))
    assert client.requests_made == 0


def test_http_limits_come_from_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert retry_policy_from_config() == RetryPolicy()
    defaults = RetryPolicy()
    assert (defaults.connect_timeout, defaults.read_timeout, defaults.max_attempts) == (10, 60, 5)
    monkeypatch.setenv("SOURCES__OPENAI__HTTP__READ_TIMEOUT_SECONDS", "7.5")
    monkeypatch.setenv("SOURCES__OPENAI__HTTP__MAX_ATTEMPTS", "3")
    monkeypatch.setenv("SOURCES__OPENAI__HTTP__ORGANIZATION_DEADLINE_MINUTES", "2")
    policy = retry_policy_from_config()
    assert (policy.read_timeout, policy.max_attempts, policy.organization_deadline) == (7.5, 3, 120.0)
    monkeypatch.setenv("SOURCES__OPENAI__HTTP__MAX_ATTEMPTS", "lots")
    with pytest.raises(ConfigError, match=r"max_attempts = 'lots': expected a whole number above 0"):
        retry_policy_from_config()


def test_start_after_today_is_refused() -> None:
    sim = new_sim()
    tomorrow = (sim.now + timedelta(days=1)).date()
    with pytest.raises(ConfigError, match=f"--start {tomorrow} is after today .* nothing to load yet"):
        LoaderSettings(organizations=organizations(sim), now=sim.now, start=tomorrow)


def test_a_second_loader_on_the_same_folder_stops_at_once_naming_the_first(tmp_path: Path) -> None:
    sim = new_sim()
    settings = _one_org(settings_for(sim, "http://127.0.0.1:9", tmp_path))
    with pipeline_lock(settings), pytest.raises(LoaderBusy) as busy:
        run_load(settings)
    holder = f"(pid {os.getpid()}, started "
    assert f"another loader is running on {settings.pipelines_dir} {holder}" in str(busy.value)
    with pipeline_lock(settings):  # released: the next run takes it
        pass


def test_the_lock_of_a_killed_loader_is_taken_over(tmp_path: Path) -> None:
    sim = new_sim()
    settings = _one_org(settings_for(sim, "http://127.0.0.1:9", tmp_path))
    settings.pipelines_dir.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, fcntl; f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX);"
            " f.write('pid dead'); f.flush(); print('locked', flush=True); time.sleep(60)",
            str(settings.pipelines_dir / f"{settings.pipeline_name}.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    with pytest.raises(LoaderBusy, match=r"\(pid dead\)"), pipeline_lock(settings):
        pass
    holder.kill()
    holder.wait()
    with pipeline_lock(settings):
        assert f"pid {os.getpid()}" in (settings.pipelines_dir / "openai_finops.lock").read_text()


def test_a_poison_value_is_quarantined_and_the_rest_of_the_page_loads(tmp_path: Path) -> None:
    sim = new_sim()
    with serve(sim) as server:
        settings = _one_org(settings_for(sim, server.base_url, tmp_path))
        assert run_load(settings).ok
        db = settings.duckdb_path
        clean = warehouse_costs(db, PROJECT_LEVEL)
        # A re-read of 10 days, two weekly queries per costs stream; each query's first amount is "NaN".
        sim.faults.inject("poison", count=10_000, path_contains="/organization/costs")
        again = replace(settings, start=(sim.now - timedelta(days=10)).date())
        result = run_load(again)
        poisoned = warehouse_costs(db, PROJECT_LEVEL)
        sim.faults.clear()
        next_run = run_load(again)

    assert not result.ok and next_run.ok
    org = settings.organizations[0]
    assert result.report.quarantined == {org.label: 4}
    assert len(result.report.failures) == 2  # one per costs stream (project level, key level)
    for _, table, message in result.report.failures:
        assert table == "costs" and "2 value(s) could not be loaded (amount.value='NaN')" in message
        assert "openai_raw.rejected_rows" in message and "the bill is incomplete there" in message
    assert f"quarantined {org.label}: 4 value(s) in openai_raw.rejected_rows" in format_summary(result, again)
    with duckdb.connect(str(db), read_only=True) as con:
        rejected = con.execute(
            "select group_by, field, value, reason, count(*) from openai_raw.rejected_rows "
            "where org_id = ? and table_name = 'costs' and request_end_at > request_start_at group by all "
            "order by group_by",
            [org.org_id],
        ).fetchall()
    assert rejected == [
        (KEY_LEVEL, "amount.value", "'NaN'", "not a finite number", 2),
        (PROJECT_LEVEL, "amount.value", "'NaN'", "not a finite number", 2),
    ]
    # The poisoned buckets kept their loaded rows, the others were replaced by the same values.
    assert poisoned == clean
    assert warehouse_costs(db, PROJECT_LEVEL) == clean  # to the cent, after the next clean run


def test_a_poison_usage_value_is_quarantined_as_a_warning_and_the_bill_is_whole(tmp_path: Path) -> None:
    sim = new_sim()
    with serve(sim) as server:
        settings = _one_org(settings_for(sim, server.base_url, tmp_path))
        assert run_load(settings).ok
        db = settings.duckdb_path
        before = snapshot(db)
        # Each of the re-read's completions pages has its first token count "NaN".
        sim.faults.inject("poison", count=10_000, path_contains="/usage/completions")
        again = replace(settings, start=(sim.now - timedelta(days=10)).date())
        result = run_load(again)
        after = snapshot(db)

    assert result.ok, result.report.failures  # usage short in a bucket, the bill whole: exit 0
    org = settings.organizations[0]
    [message] = [text for _, table, text in result.report.warnings if table == "usage_completions"]
    assert "value(s) could not be loaded (input_tokens='NaN')" in message
    assert message.endswith("keep what was loaded before; the bill is not affected")
    with duckdb.connect(str(db), read_only=True) as con:
        rejected = con.execute(
            "select field, value, reason, count(*) from openai_raw.rejected_rows "
            "where org_id = ? and table_name = 'usage_completions' group by all",
            [org.org_id],
        ).fetchall()
    [(field_name, value, reason, count)] = rejected
    assert (field_name, value, reason) == ("input_tokens", "'NaN'", "not an integer")
    assert result.report.quarantined == {org.label: count}
    # The poisoned buckets kept their rows; the clean re-read replaced the rest with the same values.
    assert after["usage_completions"] == before["usage_completions"]
    assert after["costs"] == before["costs"]


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        (
            {"input_tokens": 5, "num_model_requests": 1},
            ("output_tokens", None, "missing: the API's schema requires it"),
        ),
        (
            {"input_tokens": Decimal("1E+30"), "output_tokens": 1, "num_model_requests": 1},
            ("input_tokens", Decimal("1E+30"), "out of the integer's range"),
        ),
        (
            {"input_tokens": Decimal("1.5"), "output_tokens": 1, "num_model_requests": 1},
            ("input_tokens", Decimal("1.5"), "not an integer"),
        ),
        (
            {"input_tokens": True, "output_tokens": 1, "num_model_requests": 1},
            ("input_tokens", True, "not an integer"),
        ),
        (
            {"input_tokens": 1, "output_tokens": 1, "num_model_requests": 1, "project_id": 42},
            ("project_id", 42, "wrong type: expected text"),
        ),
        (
            {"input_tokens": 1, "output_tokens": 1, "num_model_requests": 1, "batch": "yes"},
            ("batch", "yes", "wrong type: expected true or false"),
        ),
    ],
)
def test_a_usage_value_that_cannot_load_is_named(result: dict, problem: tuple) -> None:
    completions = USAGE_ENDPOINTS[0]
    checks = ResultChecks.of(result_fields(completions), required_fields(completions))
    assert checks.problem(result) == problem


def test_an_integral_decimal_count_loads_as_an_integer() -> None:
    completions = USAGE_ENDPOINTS[0]
    checks = ResultChecks.of(result_fields(completions), required_fields(completions))
    result = {"input_tokens": Decimal("1E+3"), "output_tokens": Decimal("12.0"), "num_model_requests": 1}
    assert checks.problem(result) is None
    assert result == {"input_tokens": 1000, "output_tokens": 12, "num_model_requests": 1}
    assert all(type(value) is int for value in result.values())


def test_a_package_that_cannot_load_is_dropped_and_the_next_run_recovers(tmp_path: Path) -> None:
    sim = new_sim()
    with serve(sim) as server:
        settings = _one_org(settings_for(sim, server.base_url, tmp_path))
        assert run_load(settings).ok
        db = settings.duckdb_path
        before = snapshot(db)
        # A package left by a run that died while writing it: extracted, its data file damaged.
        pipeline = make_pipeline(settings)
        pipeline.extract(dlt.resource([{"org_id": "org-x", "amount": 1}], name="costs"))
        [package] = pipeline.list_extracted_load_packages()
        damaged = [
            path for path in Path(pipeline.working_dir).rglob("*") if path.is_file() and package in str(path)
        ]
        damaged = [path for path in damaged if "new_jobs" in str(path) and "costs" in path.name]
        assert damaged
        for path in damaged:
            path.write_bytes(b"\x00 not a load file \x00")
        assert pipeline.has_pending_data
        result = run_load(settings)

    assert result.ok, result.report.failures
    [(_, table, message)] = result.report.warnings
    assert table == "pipeline" and message.startswith("dropped load package(s) an earlier run left")
    assert snapshot(db) == before  # nothing lost, nothing of the damaged package loaded
    assert not make_pipeline(settings).has_pending_data


def test_a_start_before_the_organization_existed_starts_at_its_oldest_project(tmp_path: Path) -> None:
    # A handler of its own: the CLI, run in-process by other tests, stops "loader" propagating.
    logger, log = logging.getLogger("loader"), logging.handlers.BufferingHandler(10_000)
    logger.addHandler(log)
    level = logger.level
    logger.setLevel(logging.INFO)  # setLevel, not .level =: it clears the logger's isEnabledFor cache
    sim = new_sim()
    org = organizations(sim)[0]
    with serve(sim) as server:
        settings = replace(_one_org(settings_for(sim, server.base_url, tmp_path)), start=date(1990, 1, 1))
        result = run_load(settings)
        starts = [
            int(record.query["start_time"][0])
            for record in server.requests
            if record.path.endswith("/usage/completions")
        ]
        created = min(project.created_at for project in sim.org(org.org_id).projects)
    logger.removeHandler(log)
    logger.setLevel(level)
    messages = [record.getMessage() for record in log.buffer]
    assert result.ok, result.report.failures
    oldest_midnight = created - created % 86_400
    assert min(starts) == oldest_midnight  # not 1990: no 36 years of empty pages
    day = datetime.fromtimestamp(oldest_midnight, UTC).date()
    assert f"its oldest project was created on {day}; loading from then, not 1990-01-01" in " ".join(messages)
    # One request per 31-day slice from that day to now, none before it.
    assert len(starts) == -(-(int(sim.now.timestamp()) - oldest_midnight) // (31 * 86_400))
