"""Delivery to a local webhook server and a local SMTP server: exact payloads, signatures,
once-only delivery, retries, overlapping runs, dry runs and secrets."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from alert_support import ORG_A, ORG_B, PROJECT_1, HookServer, Mailbox

from openai_finops_surfaces.alerts.channels.webhook import verify_signature
from openai_finops_surfaces.alerts.config import AlertsConfig, parse_config
from openai_finops_surfaces.alerts.run import dry_run, run_alerts
from openai_finops_surfaces.warehouse import Target

TODAY = date(2026, 3, 10)
SLACK_SECRET_PATH = "/services/T000/B000/XXXXSECRETXXXX"
HMAC_SECRET = "whsec-test-1234567890"
SMTP_PASSWORD = "smtp-pass-4242"
REPO_ROOT = Path(__file__).resolve().parents[2]


def config_table(hooks: HookServer, mailbox: Mailbox, routes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "lookback_days": 7,
        "channels": {
            "ops_slack": {"type": "slack", "url": hooks.url + SLACK_SECRET_PATH},
            "siem": {"type": "webhook", "url": hooks.url + "/siem", "secret": HMAC_SECRET},
            "finance_mail": {
                "type": "email",
                "smtp_host": "127.0.0.1",
                "smtp_port": mailbox.port,
                "from": "finops@example.com",
                "to": ["finance@example.com", "cfo@example.com"],
            },
        },
        "routes": routes,
    }


def make_config(hooks: HookServer, mailbox: Mailbox, routes: list[dict[str, Any]]) -> AlertsConfig:
    return parse_config(config_table(hooks, mailbox, routes), environ={})


def log_rows(path: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select kind, subject, channel, status, attempts, sent_at is not null, last_error "
            "from alerts.alerts.alert_log order by kind, subject, channel"
        ).fetchall()


ORG_A_SPIKE_SLACK = {
    "text": "[high] Spend spike: organization Acme Analytics (org-AAAAAAAAAAAAAAAAAAAAAAAA) on 2026-03-09",
    "blocks": [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": "Spend spike: organization Acme Analytics (org-AAAAAAAAAAAAAAAAAAAAAAAA) on 2026-03-09",  # noqa: E501
                "emoji": True,
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":rotating_light: $250.50 billed against $100.25 expected (+$150.25, +149.9%). "
                "Drivers: project Support Assistant (proj_111111…) +$140.00; model gpt-4o +$10.25.",
            },
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Organization*\nAcme Analytics (org-AAAAAAAAAAAAAAAAAAAAAAAA)"},
                {"type": "mrkdwn", "text": "*Day (UTC)*\n2026-03-09"},
                {"type": "mrkdwn", "text": "*Actual*\n$250.50"},
                {"type": "mrkdwn", "text": "*Expected*\n$100.25"},
                {"type": "mrkdwn", "text": "*Impact*\n+$150.25"},
                {"type": "mrkdwn", "text": "*Severity*\nhigh"},
                {"type": "mrkdwn", "text": "*Score*\n9.10"},
                {
                    "type": "mrkdwn",
                    "text": "*Drivers*\n"
                    "project Support Assistant (proj_111111…) +$140.00; model gpt-4o +$10.25",
                },
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "openai-finops · anomaly · high · alert c9add7ff4236fa8452d0cf064ba2d4b7",
                }
            ],
        },
    ],
}

ORG_A_SPIKE_WEBHOOK = {
    "schema": "openai-finops.alert.v1",
    "alert_id": "c9add7ff4236fa8452d0cf064ba2d4b7",
    "kind": "anomaly",
    "severity": "high",
    "day": "2026-03-09",
    "subject": ORG_A,
    "org_id": ORG_A,
    "project_id": None,
    "title": "Spend spike: organization Acme Analytics (org-AAAAAAAAAAAAAAAAAAAAAAAA) on 2026-03-09",
    "summary": "$250.50 billed against $100.25 expected (+$150.25, +149.9%). "
    "Drivers: project Support Assistant (proj_111111…) +$140.00; model gpt-4o +$10.25.",
    "details": {
        "anomaly_id": f"{ORG_A}@2026-03-09",
        "series_level": "org",
        "series_id": ORG_A,
        "org_id": ORG_A,
        "project_id": None,
        "model": None,
        "api_key_id": None,
        "spend_date": "2026-03-09",
        "anomaly_type": "spike",
        "direction": "up",
        "detection_rule": "seasonal",
        "actual_cost_usd": "250.500000",
        "expected_cost_usd": "100.250000",
        "impact_usd": "150.250000",
        "impact_pct": "149.9",
        "score": "9.10",
        "severity": "high",
        "history_days": 60,
        "baseline_weeks": 8,
        "top_driver_level": "project",
        "top_driver_name": PROJECT_1,
        "top_driver_impact_usd": "140.000000",
        "drivers": f"project {PROJECT_1} +$140.00; project_model gpt-4o +$10.25",
        "top_user_id": None,
        "top_user_impact_usd": None,
        "org_name": "Acme Analytics",
        "project_name": None,
        "top_user_name": None,
        "series_label": "Acme Analytics",
        "api_key_name": None,
        "top_driver_label": "project Support Assistant (proj_111111…)",
        "drivers_named": "project Support Assistant (proj_111111…) +$140.00; model gpt-4o +$10.25",
    },
}

BUDGET_80_TEXT = """\
Budget Acme all spend: actual spend crossed 80% ($800.00 of $1,000.00) on 2026-03-08

Month 2026-03-01 to 2026-03-31: $850.00 spent to 2026-03-09 (85%), forecast $1,200.00 (120%, weekday_28d); status at risk.

Budget          Acme all spend (b-acme)
Organization    Acme Analytics (org-AAAAAAAAAAAAAAAAAAAAAAAA)
Project         all projects
Period          2026-03-01 to 2026-03-31
Amount          $1,000.00
Actual to date  $850.00 (85%)
Forecast        $1,200.00 (120%)
Threshold       80% = $800.00
Status          at risk
Owner           finops@acme.example

openai-finops alert ce50d079e99eb9f34bfc762d8bdd9cbe (budget_actual, medium)
"""  # noqa: E501


def test_exact_payloads_and_signature(warehouse: Path, hook_server: HookServer, smtp_server: Mailbox) -> None:
    config = make_config(
        hook_server,
        smtp_server,
        [
            {"channels": ["ops_slack", "siem"], "kinds": ["anomaly"], "min_severity": "high"},
            {"channels": ["finance_mail"], "kinds": ["budget_actual"], "min_severity": "medium"},
        ],
    )
    summary = run_alerts(config, Target.duckdb(warehouse), TODAY)

    assert summary.found == 10
    assert sorted(channel for _, channel in summary.sent) == ["finance_mail", "ops_slack", "siem"]
    assert summary.failed == []

    (slack_body,) = hook_server.bodies(SLACK_SECRET_PATH)
    assert json.loads(slack_body) == ORG_A_SPIKE_SLACK

    (siem,) = [item for item in hook_server.requests if item.path == "/siem"]
    assert json.loads(siem.body) == ORG_A_SPIKE_WEBHOOK
    assert (
        siem.body
        == json.dumps(ORG_A_SPIKE_WEBHOOK, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert siem.headers["Content-Type"] == "application/json"
    assert siem.headers["X-OpenAI-FinOps-Alert-Id"] == "c9add7ff4236fa8452d0cf064ba2d4b7"
    timestamp = siem.headers["X-OpenAI-FinOps-Timestamp"]
    # What a receiver computes, independently of our helper.
    expected = hmac.new(
        HMAC_SECRET.encode(), f"{timestamp}.".encode() + siem.body, hashlib.sha256
    ).hexdigest()
    assert siem.headers["X-OpenAI-FinOps-Signature"] == f"sha256={expected}"
    signature = siem.headers["X-OpenAI-FinOps-Signature"]
    assert verify_signature(HMAC_SECRET, timestamp, siem.body, signature)
    assert not verify_signature(HMAC_SECRET, timestamp, siem.body.replace(b"250.5", b"205.5"), signature)
    assert not verify_signature("another-secret", timestamp, siem.body, signature)
    assert not verify_signature(HMAC_SECRET, str(int(timestamp) - 3600), siem.body, signature)

    (mail,) = smtp_server.messages
    sender, recipients, message = mail
    assert (sender, recipients) == ("finops@example.com", ["finance@example.com", "cfo@example.com"])
    assert message["Subject"] == (
        "[openai-finops medium] Budget Acme all spend: actual spend crossed 80% ($800.00 of $1,000.00) on 2026-03-08"  # noqa: E501
    )
    assert message["To"] == "finance@example.com, cfo@example.com"
    assert message["Message-ID"] == "<ce50d079e99eb9f34bfc762d8bdd9cbe.finance_mail@openai-finops>"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    # SMTP carries CRLF line ends; the text is otherwise exactly what was composed.
    assert plain.get_content().replace("\r\n", "\n") == BUDGET_80_TEXT
    html = rich.get_content()
    assert (
        "<h2>Budget Acme all spend: actual spend crossed 80% ($800.00 of $1,000.00) on 2026-03-08</h2>"
        in html
    )
    assert '<th align="left" style="padding:2px 12px 2px 0">Threshold</th><td>80% = $800.00</td>' in html


def test_routing_by_kind_severity_org_project_and_level(
    warehouse: Path, hook_server: HookServer, smtp_server: Mailbox
) -> None:
    config = make_config(
        hook_server,
        smtp_server,
        [
            # everything about org B
            {"channels": ["siem"], "orgs": [ORG_B]},
            # project 1 only, anomalies at every level
            {
                "channels": ["ops_slack"],
                "projects": [PROJECT_1],
                "kinds": ["anomaly"],
                "anomaly_levels": ["project", "project_model"],
            },
            # load outcomes of runs that included org A, failures only ("high")
            {
                "channels": ["finance_mail"],
                "kinds": ["load_run", "budget"],
                "orgs": [ORG_A],
                "min_severity": "high",
            },
        ],
    )
    run_alerts(config, Target.duckdb(warehouse), TODAY)

    assert [(row[0], row[1], row[2]) for row in log_rows(warehouse)] == [
        ("anomaly", f"{ORG_A}/{PROJECT_1}", "ops_slack"),
        ("anomaly", f"{ORG_A}/{PROJECT_1}/model/gpt-4o", "ops_slack"),
        ("anomaly", ORG_B, "siem"),
        ("load_run", "run-failed", "finance_mail"),
        ("load_run", "run-ok", "siem"),
    ]
    (mail,) = smtp_server.messages
    assert mail[2]["Subject"] == (
        "[openai-finops high] Load failed: HTTP 401 from /organization/costs for "
        "org-AAAAAAAAAAAAAAAAAAAAAAAA: invalid admin key ...f00d"
    )
    (run_ok,) = [json.loads(body) for body in hook_server.bodies("/siem") if b'"load_run"' in body]
    assert run_ok["title"] == "Load finished: 4,600 rows into 2 tables in 3m05s"
    assert run_ok["details"] == {
        "run_id": "run-ok",
        "status": "succeeded",
        "organizations": [ORG_A, ORG_B],
        "started_at": "2026-03-10T06:00:00",
        "finished_at": "2026-03-10T06:03:05",
        "rows_loaded": 4600,
        "tables": {"costs": 1200, "usage_completions": 3400},
        "error": None,
    }


def test_an_api_key_anomaly_names_the_key_and_its_project(
    warehouse: Path, hook_server: HookServer, smtp_server: Mailbox
) -> None:
    route = {"channels": ["siem"], "kinds": ["anomaly"], "anomaly_levels": ["api_key"]}
    config = make_config(hook_server, smtp_server, [route])
    run_alerts(config, Target.duckdb(warehouse), TODAY)

    (alert,) = [json.loads(body) for body in hook_server.bodies("/siem")]
    assert alert["title"] == (
        "Spend spike: API key Batch jobs (key_batch0000000000000000) in project "
        "Support Assistant (proj_111111111111111111111111) on 2026-03-09"
    )
    assert alert["details"]["api_key_name"] == "Batch jobs"


ALL_ROUTES = [{"channels": ["ops_slack", "siem", "finance_mail"]}]
# Every alert in the fixture marts that the default anomaly levels (org, project) route: 2 loads,
# 3 budget thresholds, 3 anomalies (the model-level one and the one past the lookback are not).
ROUTED_ALERTS = 8


def test_each_alert_is_sent_once(warehouse: Path, hook_server: HookServer, smtp_server: Mailbox) -> None:
    config = make_config(hook_server, smtp_server, ALL_ROUTES)
    first = run_alerts(config, Target.duckdb(warehouse), TODAY)
    second = run_alerts(config, Target.duckdb(warehouse), TODAY)

    assert len(first.sent) == 3 * ROUTED_ALERTS
    assert second.sent == [] and second.failed == []
    assert len(hook_server.bodies(SLACK_SECRET_PATH)) == ROUTED_ALERTS
    assert len(hook_server.bodies("/siem")) == ROUTED_ALERTS
    assert len(smtp_server.messages) == ROUTED_ALERTS
    rows = log_rows(warehouse)
    assert len(rows) == 3 * ROUTED_ALERTS
    assert {row[3:] for row in rows} == {("sent", 1, True, None)}


def test_failed_delivery_stays_pending_and_is_retried(
    warehouse: Path, hook_server: HookServer, smtp_server: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(hook_server, smtp_server, [{"channels": ["ops_slack"], "kinds": ["anomaly"]}])
    hook_server.statuses = [500]  # the first delivery fails
    caplog.set_level(logging.DEBUG, logger="openai_finops_surfaces.alerts")

    first = run_alerts(config, Target.duckdb(warehouse), TODAY)
    assert len(first.sent) == 2
    assert first.failed == [
        (first.failed[0][0], "ops_slack", "RuntimeError: HTTP 500 from the Slack webhook")
    ]
    failed_id = first.failed[0][0]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "select status, attempts, sent_at, last_error from alerts.alerts.alert_log where alert_id = ?",
            [failed_id],
        ).fetchall() == [("pending", 1, None, "RuntimeError: HTTP 500 from the Slack webhook")]

    second = run_alerts(config, Target.duckdb(warehouse), TODAY)
    assert second.sent == [(failed_id, "ops_slack")] and second.failed == []
    third = run_alerts(config, Target.duckdb(warehouse), TODAY)
    assert third.sent == []
    assert len(hook_server.bodies(SLACK_SECRET_PATH)) == 3
    assert sorted(row[3:6] for row in log_rows(warehouse)) == [
        ("sent", 1, True),
        ("sent", 1, True),
        ("sent", 2, True),
    ]
    assert SLACK_SECRET_PATH not in caplog.text


def test_unreachable_channel_error_keeps_secrets_out(
    warehouse: Path, hook_server: HookServer, smtp_server: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    table = config_table(hook_server, smtp_server, [{"channels": ["ops_slack"], "kinds": ["load_run"]}])
    table["channels"]["ops_slack"]["url"] = "http://127.0.0.1:9" + SLACK_SECRET_PATH  # nothing listens
    caplog.set_level(logging.DEBUG, logger="openai_finops_surfaces.alerts")

    summary = run_alerts(parse_config(table, environ={}), Target.duckdb(warehouse), TODAY)

    assert [error for _, _, error in summary.failed] == [
        "ConnectionError: could not reach the slack endpoint"
    ] * 2
    assert "XXXXSECRETXXXX" not in caplog.text
    with duckdb.connect(str(warehouse), read_only=True) as con:
        dump = con.execute("select * from alerts.alerts.alert_log").fetchall()
    assert "XXXXSECRETXXXX" not in repr(dump)
    assert {row[3] for row in log_rows(warehouse)} == {"pending"}


def test_gives_up_after_max_attempts_but_keeps_the_row(
    warehouse: Path, hook_server: HookServer, smtp_server: Mailbox
) -> None:
    table = config_table(hook_server, smtp_server, [{"channels": ["siem"], "kinds": ["budget_forecast"]}])
    table["max_attempts"] = 2
    config = parse_config(table, environ={})
    hook_server.statuses = [503, 503]
    run_alerts(config, Target.duckdb(warehouse), TODAY)
    run_alerts(config, Target.duckdb(warehouse), TODAY)
    assert run_alerts(config, Target.duckdb(warehouse), TODAY).sent == []
    assert log_rows(warehouse) == [
        (
            "budget_forecast",
            "b-acme@100",
            "siem",
            "failed",
            2,
            False,
            "RuntimeError: HTTP 503 from the webhook",
        )
    ]


def test_two_overlapping_runs_in_one_process_send_each_alert_once(
    warehouse: Path, hook_server: HookServer, smtp_server: Mailbox
) -> None:
    config = make_config(hook_server, smtp_server, [{"channels": ["ops_slack", "siem"]}])
    hook_server.delay_seconds = 0.05  # both runs are delivering at the same time
    barrier = threading.Barrier(2)
    results = []

    def one_run() -> None:
        barrier.wait()
        results.append(run_alerts(config, Target.duckdb(warehouse), TODAY))

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 2
    assert sum(len(result.sent) for result in results) == 2 * ROUTED_ALERTS
    assert len({item for result in results for item in result.sent}) == 2 * ROUTED_ALERTS
    assert len(hook_server.bodies(SLACK_SECRET_PATH)) == ROUTED_ALERTS
    siem_ids = [json.loads(body)["alert_id"] for body in hook_server.bodies("/siem")]
    assert len(siem_ids) == len(set(siem_ids)) == ROUTED_ALERTS
    assert {row[3:6] for row in log_rows(warehouse)} == {("sent", 1, True)}


def test_two_overlapping_processes_send_each_alert_once(
    warehouse: Path, hook_server: HookServer, smtp_server: Mailbox, tmp_path: Path
) -> None:
    config_path = tmp_path / "alerts.toml"
    config_path.write_text(
        f"""
[alerts]
lookback_days = 7
[alerts.channels.siem]
type = "webhook"
url = "{hook_server.url}/siem"
[[alerts.routes]]
channels = ["siem"]
""",
        encoding="utf-8",
    )
    hook_server.delay_seconds = 0.05
    env = dict(os.environ, OPENAI_FINOPS_DUCKDB=str(warehouse), ALERTS__CHANNELS__SIEM__SECRET=HMAC_SECRET)
    command = [
        sys.executable,
        "-m",
        "loader",
        "alerts",
        "--config",
        str(config_path),
        "--today",
        "2026-03-10",
    ]
    processes = [
        subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    # The runs may interleave in either order, or one may find everything claimed or sent.
    counts = sorted(int(stdout.split("sent ")[1].split(",")[0]) for stdout, _ in outputs)
    assert sum(counts) == ROUTED_ALERTS
    bodies = hook_server.bodies("/siem")
    assert len(bodies) == ROUTED_ALERTS
    assert len({json.loads(body)["alert_id"] for body in bodies}) == ROUTED_ALERTS
    assert HMAC_SECRET not in "".join(stdout + stderr for stdout, stderr in outputs)


def test_dry_run_prints_and_records_nothing(
    warehouse: Path, hook_server: HookServer, smtp_server: Mailbox
) -> None:
    config = make_config(
        hook_server, smtp_server, [{"channels": ["ops_slack", "finance_mail"], "kinds": ["budget_forecast"]}]
    )
    output = dry_run(config, Target.duckdb(warehouse), TODAY)

    assert output.splitlines()[0] == "Dry run: 10 alerts in the marts; 2 deliveries would be made."
    assert "--- ops_slack (slack): budget_forecast medium fcb77e2ff18b30350735c059ab8ffb4b" in output
    assert "--- finance_mail (email): budget_forecast medium fcb77e2ff18b30350735c059ab8ffb4b" in output
    assert "Subject: [openai-finops medium] Budget Acme all spend: forecast $1,200.00 crosses 100%" in output
    assert SLACK_SECRET_PATH not in output
    assert hook_server.requests == [] and smtp_server.messages == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "select count(*) from information_schema.schemata where schema_name = 'alerts'"
        ).fetchone() == (0,)
