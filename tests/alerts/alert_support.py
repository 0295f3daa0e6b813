"""Fixtures for the alert tests: small hand-made marts, a webhook server and an SMTP server.

The marts are created with the real column names and types of the dbt models (only the tables
and rows the alerts read), so the tests need neither the loader nor dbt.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from dbt_support import build_surfaces

from loader.run_log import record_run
from loader.settings import LoaderSettings

ORG_A = "org-AAAAAAAAAAAAAAAAAAAAAAAA"
ORG_B = "org-BBBBBBBBBBBBBBBBBBBBBBBB"
PROJECT_1 = "proj_111111111111111111111111"
API_KEY = "key_batch0000000000000000"
TODAY = "2026-03-10"

ANOMALY_COLUMNS = """
    anomaly_id varchar, series_level varchar, series_id varchar, org_id varchar, project_id varchar,
    model varchar, api_key_id varchar, spend_date date, anomaly_type varchar, direction varchar,
    detection_rule varchar, actual_cost_usd decimal(38, 6), expected_cost_usd decimal(38, 6),
    impact_usd decimal(38, 6), impact_pct decimal(28, 1), score decimal(28, 2), severity varchar,
    history_days bigint, baseline_weeks bigint, top_driver_level varchar, top_driver_name varchar,
    top_driver_impact_usd decimal(38, 6), drivers varchar
"""

DRIVER_COLUMNS = """
    anomaly_id varchar, series_id varchar, org_id varchar, spend_date date, driver_rank bigint,
    driver_level varchar, driver_series_id varchar, driver_project_id varchar, driver_id varchar,
    driver_impact_usd decimal(38, 6)
"""

# The drivers of the org and project anomalies of 2026-03-09 below, as mart_spend_anomaly_drivers has them.
DRIVERS = [
    (f"{ORG_A}@2026-03-09", ORG_A, ORG_A, "2026-03-09", 1, "project", f"{ORG_A}/{PROJECT_1}", PROJECT_1,
     PROJECT_1, "140.000000"),
    (f"{ORG_A}@2026-03-09", ORG_A, ORG_A, "2026-03-09", 2, "project_model",
     f"{ORG_A}/{PROJECT_1}/model/gpt-4o", PROJECT_1, "gpt-4o", "10.250000"),
    (f"{ORG_A}/{PROJECT_1}@2026-03-09", f"{ORG_A}/{PROJECT_1}", ORG_A, "2026-03-09", 1, "project_model",
     f"{ORG_A}/{PROJECT_1}/model/gpt-4o", PROJECT_1, "gpt-4o", "130.000000"),
]  # fmt: skip

ANOMALIES = [
    # org-level spike today-1: high
    (f"{ORG_A}@2026-03-09", "org", ORG_A, ORG_A, None, None, None, "2026-03-09", "spike", "up", "seasonal",
     "250.500000", "100.250000", "150.250000", "149.9", "9.10", "high", 60, 8, "project", PROJECT_1,
     "140.000000", f"project {PROJECT_1} +$140.00; project_model gpt-4o +$10.25"),
    # the same day at project level: medium
    (f"{ORG_A}/{PROJECT_1}@2026-03-09", "project", f"{ORG_A}/{PROJECT_1}", ORG_A, PROJECT_1, None, None,
     "2026-03-09", "spike", "up", "seasonal", "200.000000", "60.000000", "140.000000", "233.3", "6.20",
     "medium", 60, 8, "project_model", "gpt-4o", "130.000000", "project_model gpt-4o +$130.00"),
    # and at model level: not routed by default (drivers already name it)
    (f"{ORG_A}/{PROJECT_1}/model/gpt-4o@2026-03-09", "project_model", f"{ORG_A}/{PROJECT_1}/model/gpt-4o",
     ORG_A, PROJECT_1, "gpt-4o", None, "2026-03-09", "spike", "up", "seasonal", "180.000000",
     "50.000000", "130.000000", "260.0", "4.00", "low", 60, 8, None, None, None, None),
    # and at API key level: not routed by default either
    (f"{ORG_A}/{PROJECT_1}/key/{API_KEY}@2026-03-09", "api_key", f"{ORG_A}/{PROJECT_1}/key/{API_KEY}", ORG_A,
     PROJECT_1, None, API_KEY, "2026-03-09", "spike", "up", "seasonal", "90.000000", "20.000000", "70.000000",
     "350.0", "5.00", "low", 60, 8, None, None, None, None),
    # org B drop: low
    (f"{ORG_B}@2026-03-08", "org", ORG_B, ORG_B, None, None, None, "2026-03-08", "drop", "down", "seasonal",
     "10.000000", "40.000000", "-30.000000", "-75.0", "-4.10", "low", 60, 8, None, None, None, None),
    # older than the lookback: never sent
    (f"{ORG_A}@2026-02-01", "org", ORG_A, ORG_A, None, None, None, "2026-02-01", "spike", "up", "seasonal",
     "300.000000", "100.000000", "200.000000", "200.0", "12.00", "high", 30, 4, None, None, None, None),
]  # fmt: skip

BUDGET_STATUS_COLUMNS = """
    budget_period_id varchar, budget_id varchar, budget_name varchar, org_id varchar, project_id varchar,
    api_key_id varchar, model varchar, budget_period varchar, period_start_date date,
    period_end_date date, is_current_period boolean, as_of_date date, latest_date date,
    budget_amount_usd decimal(38, 6), currency varchar, owner varchar, actual_to_date_usd decimal(38, 6),
    forecast_usd decimal(38, 6), forecast_method varchar, has_forecast boolean, history_days bigint,
    forecast_min_history_days integer, actual_pct decimal(28, 1), forecast_pct decimal(28, 1),
    highest_threshold_crossed_pct decimal(9, 2), highest_forecast_threshold_crossed_pct decimal(9, 2),
    thresholds_crossed varchar, status varchar
"""

BUDGET_STATUS = [
    ("b-acme@2026-03-01", "b-acme", "Acme all spend", ORG_A, None, None, None, "month", "2026-03-01",
     "2026-03-31", True, "2026-03-09", "2026-03-10", "1000.000000", "USD", "finops@acme.example",
     "850.000000", "1200.000000", "weekday_28d", True, 60, 28, "85.0", "120.0", "80.00", "100.00",
     "50.00% actual 2026-03-04; 80.00% actual 2026-03-08; 100.00% forecast 2026-03-06", "at risk"),
    # last period of the same budget: not current, never alerted again
    ("b-acme@2026-02-01", "b-acme", "Acme all spend", ORG_A, None, None, None, "month", "2026-02-01",
     "2026-02-28", False, "2026-02-28", "2026-02-28", "1000.000000", "USD", "finops@acme.example",
     "1100.000000", "1100.000000", "weekday_28d", True, 40, 28, "110.0", "110.0", "100.00", "100.00",
     "100.00% actual 2026-02-25", "over"),
]  # fmt: skip

BUDGET_THRESHOLD_COLUMNS = """
    budget_threshold_id varchar, budget_id varchar, period_start_date date, threshold_pct decimal(9, 2),
    threshold_usd decimal(38, 6), is_crossed_actual boolean, actual_crossed_on date,
    is_crossed_forecast boolean, forecast_crossed_on date, projected_crossing_date date
"""

BUDGET_THRESHOLDS = [
    ("b-acme@2026-03-01@50.00", "b-acme", "2026-03-01", "50.00", "500.000000", True, "2026-03-04", True,
     "2026-03-02", None),
    ("b-acme@2026-03-01@80.00", "b-acme", "2026-03-01", "80.00", "800.000000", True, "2026-03-08", True,
     "2026-03-03", None),
    ("b-acme@2026-03-01@100.00", "b-acme", "2026-03-01", "100.00", "1000.000000", False, None, True,
     "2026-03-06", "2026-03-21"),
    ("b-acme@2026-02-01@100.00", "b-acme", "2026-02-01", "100.00", "1000.000000", True, "2026-02-25", True,
     "2026-02-20", None),
]  # fmt: skip


def build_marts(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.mart_spend_anomalies ({ANOMALY_COLUMNS})")
        con.executemany(f"insert into marts.mart_spend_anomalies values ({', '.join(['?'] * 23)})", ANOMALIES)
        con.execute(f"create table marts.mart_budget_status ({BUDGET_STATUS_COLUMNS})")
        con.executemany(
            f"insert into marts.mart_budget_status values ({', '.join(['?'] * 28)})", BUDGET_STATUS
        )
        con.execute(f"create table marts.mart_budget_thresholds ({BUDGET_THRESHOLD_COLUMNS})")
        con.executemany(
            f"insert into marts.mart_budget_thresholds values ({', '.join(['?'] * 10)})", BUDGET_THRESHOLDS
        )
        con.execute(
            'create table marts.fct_openai_cost ("BillingAccountId" varchar, "BillingAccountName" varchar,'
            ' "BilledCost" decimal(38, 18), "x_ChargeDate" date)'
        )
        con.execute(
            "insert into marts.fct_openai_cost values (?, 'Acme Analytics', 1, '2026-03-09'), "
            "(?, 'Globex Research', 1, '2026-03-09')",
            [ORG_A, ORG_B],
        )
        con.execute(
            "create table marts.dim_openai_projects (org_id varchar, project_id varchar, project_name varchar)"  # noqa: E501
        )
        con.execute(
            "insert into marts.dim_openai_projects values (?, ?, 'Support Assistant')", [ORG_A, PROJECT_1]
        )
        con.execute("alter table marts.mart_spend_anomalies add column top_user_id varchar")
        con.execute("alter table marts.mart_spend_anomalies add column top_user_impact_usd decimal(38, 6)")
        con.execute(
            "create table marts.dim_openai_users (org_id varchar, user_id varchar, user_name varchar)"
        )
        con.execute(
            "create table marts.dim_openai_api_keys "
            "(org_id varchar, api_key_id varchar, api_key_name varchar)"
        )
        con.execute("insert into marts.dim_openai_api_keys values (?, ?, 'Batch jobs')", [ORG_A, API_KEY])
        con.execute(f"create table marts.mart_spend_anomaly_drivers ({DRIVER_COLUMNS})")
        con.executemany(
            f"insert into marts.mart_spend_anomaly_drivers values ({', '.join(['?'] * 10)})", DRIVERS
        )
    # the loader's own writer of the run log, on this warehouse
    settings = LoaderSettings(organizations=(), duckdb_path=path, pipelines_dir=path.parent / "pipelines")
    record_run(
        settings,
        run_id="run-ok",
        started_at=datetime(2026, 3, 10, 6, 0, 0, tzinfo=UTC),
        finished_at=datetime(2026, 3, 10, 6, 3, 5, tzinfo=UTC),
        status="succeeded",
        organizations=[ORG_A, ORG_B],
        rows_by_table={"costs": 1200, "usage_completions": 3400},
    )
    record_run(
        settings,
        run_id="run-failed",
        started_at=datetime(2026, 3, 9, 6, 0, 0, tzinfo=UTC),
        finished_at=datetime(2026, 3, 9, 6, 0, 42, tzinfo=UTC),
        status="failed",
        organizations=[ORG_A],
        rows_by_table={},
        error="HTTP 401 from /organization/costs for org-AAAAAAAAAAAAAAAAAAAAAAAA: invalid admin key ...f00d",
    )


@pytest.fixture(scope="session")
def alert_marts_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Named like the alert log schema on purpose: DuckDB then sees "alerts" as a catalog too.
    path = tmp_path_factory.mktemp("alert_marts") / "alerts.duckdb"
    build_marts(path)
    build_surfaces(
        path, path.parent, ["dim_openai_organizations", "rpt_spend_anomalies", "rpt_budget_alerts"]
    )
    return path


@pytest.fixture
def warehouse(tmp_path: Path, alert_marts_template: Path) -> Path:
    path = tmp_path / alert_marts_template.name
    shutil.copy(alert_marts_template, path)
    return path


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HookServer:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Statuses to answer with, one per request, before answering 200 again.
    statuses: list[int] = field(default_factory=list)
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self, path: str) -> list[bytes]:
        return [item.body for item in self.requests if item.path == path]


@pytest.fixture
def hook_server() -> Iterator[HookServer]:
    state = HookServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(state.delay_seconds)
            with state.lock:
                status = state.statuses.pop(0) if state.statuses else 200
                if status == 200:
                    state.requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class Mailbox:
    port: int
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
        self.mailbox.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[attr-defined]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=_free_port())
    controller = Controller(_Handler(mailbox), hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()
