"""Slack-compatible incoming webhooks (Slack's message format; Discord's /slack and Teams accept it)."""

from __future__ import annotations

import json
from typing import Any

import requests

from openai_finops_surfaces.alerts.config import Channel
from openai_finops_surfaces.alerts.model import Alert

EMOJI = {
    "high": ":rotating_light:",
    "medium": ":warning:",
    "low": ":information_source:",
    "info": ":white_check_mark:",
}


def _escape(text: str) -> str:
    # Slack mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(alert: Alert) -> dict[str, Any]:
    fields = [
        {"type": "mrkdwn", "text": f"*{_escape(label)}*\n{_escape(value)}"} for label, value in alert.facts
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": alert.title[:150], "emoji": True}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"{EMOJI[alert.severity]} {_escape(alert.summary)}"},
        },
    ]
    # Slack allows at most 10 fields per section block.
    blocks += [
        {"type": "section", "fields": fields[start : start + 10]} for start in range(0, len(fields), 10)
    ]
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"openai-finops · {alert.kind} · {alert.severity} · alert {alert.alert_id}",
                }
            ],
        }
    )
    return {"text": f"[{alert.severity}] {alert.title}", "blocks": blocks}


def send(channel: Channel, alert: Alert) -> None:
    response = requests.post(channel.url, json=payload(alert), timeout=channel.timeout_seconds)
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"HTTP {response.status_code} from the Slack webhook")


def preview(channel: Channel, alert: Alert) -> str:
    return json.dumps(payload(alert), indent=2)
