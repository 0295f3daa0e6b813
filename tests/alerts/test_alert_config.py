"""Routing configuration: secrets from the environment, clear errors, secrets never printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from openai_finops_surfaces.alerts.config import AlertsConfigError, load_config, parse_config


def test_secrets_come_from_the_environment_and_never_print(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(
        """
[alerts]
lookback_days = 2
[alerts.channels.ops]
type = "slack"
[alerts.channels.siem]
type = "webhook"
url_env = "SIEM_URL"
[alerts.channels.mail]
type = "email"
smtp_host = "smtp.example.com"
smtp_port = 587
starttls = true
username = "finops"
from = "finops@example.com"
to = "team@example.com"
[[alerts.routes]]
channels = ["ops", "siem", "mail"]
kinds = ["budget", "load_run"]
min_severity = "medium"
""",
        encoding="utf-8",
    )
    environ = {
        "ALERTS__CHANNELS__OPS__URL": "https://hooks.slack.com/services/T/B/slack-secret",
        "SIEM_URL": "https://siem.example.com/in/siem-secret",
        "ALERTS__CHANNELS__SIEM__SECRET": "hmac-secret",
        "ALERTS__CHANNELS__MAIL__PASSWORD": "mail-secret",
    }
    config = load_config(path, environ)

    assert config.lookback_days == 2
    assert config.channels["ops"].url == "https://hooks.slack.com/services/T/B/slack-secret"
    assert config.channels["siem"].url == "https://siem.example.com/in/siem-secret"
    assert config.channels["siem"].secret == "hmac-secret"
    assert config.channels["mail"].password == "mail-secret"
    assert config.channels["mail"].recipients == ("team@example.com",)
    assert config.routes[0].kinds == ("budget_actual", "budget_forecast", "load_run")
    printed = repr(config)
    for secret in ("slack-secret", "siem-secret", "hmac-secret", "mail-secret"):
        assert secret not in printed


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"channels": {"ops": {"type": "pager"}}},
            "alerts channel ops: type must be one of slack, webhook, email",
        ),
        (
            {"channels": {"ops": {"type": "slack"}}},
            "alerts.channels.ops: no url; set it in .dlt/secrets.toml or ALERTS__CHANNELS__OPS__URL",
        ),
        (
            {"channels": {"hook": {"type": "webhook", "url": "http://127.0.0.1/x"}}},
            "alerts.channels.hook: no HMAC secret; set it in .dlt/secrets.toml or ALERTS__CHANNELS__HOOK__SECRET",  # noqa: E501
        ),
        ({"routes": [{"channels": ["nope"]}]}, "alerts.routes[0]: unknown channel(s) nope"),
        (
            {
                "channels": {"ops": {"type": "slack", "url": "u"}},
                "routes": [{"channels": "ops", "kinds": ["spam"]}],
            },
            "alerts.routes[0]: unknown kind 'spam' (known: anomaly, budget_actual, budget_forecast, load_run, budget)",  # noqa: E501
        ),
        (
            {
                "channels": {"ops": {"type": "slack", "url": "u"}},
                "routes": [{"channels": "ops", "min_severity": "x"}],
            },
            "alerts.routes[0]: min_severity must be one of info, low, medium, high",
        ),
    ],
)
def test_invalid_config_is_named(table: dict[str, object], message: str) -> None:
    with pytest.raises(AlertsConfigError) as raised:
        parse_config(table, environ={})
    assert str(raised.value) == message


def test_dlt_config_and_secrets_files_are_read(warehouse: Path, tmp_path: Path) -> None:
    """`[alerts]` from .dlt/config.toml, the webhook URL from .dlt/secrets.toml, as dlt merges them."""
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "config.toml").write_text(
        '[alerts]\nlookback_days = 7\n[alerts.channels.ops]\ntype = "slack"\n'
        '[[alerts.routes]]\nchannels = ["ops"]\nkinds = ["budget"]\nmin_severity = "medium"\n',
        encoding="utf-8",
    )
    (project / ".dlt" / "secrets.toml").write_text(
        '[alerts.channels.ops]\nurl = "http://127.0.0.1:9/services/T/B/dlt-secret"\n', encoding="utf-8"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ALERTS__", "DLT_"))}
    env["OPENAI_FINOPS_DUCKDB"] = str(warehouse)
    done = subprocess.run(
        [sys.executable, "-m", "loader", "alerts", "--dry-run", "--today", "2026-03-10"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    headers = [line for line in done.stdout.splitlines() if line.startswith(("Dry run", "---"))]
    assert headers == [
        "Dry run: 10 alerts in the marts; 2 deliveries would be made.",
        "--- ops (slack): budget_actual medium ce50d079e99eb9f34bfc762d8bdd9cbe",
        "--- ops (slack): budget_forecast medium fcb77e2ff18b30350735c059ab8ffb4b",
    ]
    assert "dlt-secret" not in done.stdout + done.stderr
