"""Generic JSON webhooks, signed so that receivers can verify who sent them and when.

Each alert is one POST with a JSON body (UTF-8, keys sorted, no spaces) and these headers:

    Content-Type: application/json
    X-OpenAI-FinOps-Alert-Id:  the alert id (the same on a retry: use it to drop duplicates)
    X-OpenAI-FinOps-Timestamp: Unix seconds when this attempt was signed
    X-OpenAI-FinOps-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>

Signing the timestamp with the body lets a receiver reject replays: recompute the HMAC over the
exact bytes received, compare in constant time, and refuse timestamps older than a few minutes
(`verify_signature` does all three).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import requests

from openai_finops_surfaces.alerts.config import Channel
from openai_finops_surfaces.alerts.model import Alert

PAYLOAD_SCHEMA = "openai-finops.alert.v1"
SIGNATURE_HEADER = "X-OpenAI-FinOps-Signature"
TIMESTAMP_HEADER = "X-OpenAI-FinOps-Timestamp"
ALERT_ID_HEADER = "X-OpenAI-FinOps-Alert-Id"


def payload(alert: Alert) -> dict[str, Any]:
    return {
        "schema": PAYLOAD_SCHEMA,
        "alert_id": alert.alert_id,
        "kind": alert.kind,
        "severity": alert.severity,
        "day": alert.day.isoformat(),
        "subject": alert.subject,
        "org_id": alert.org_id,
        "project_id": alert.project_id,
        "title": alert.title,
        "summary": alert.summary,
        "details": alert.details,
    }


def body(alert: Alert) -> bytes:
    return json.dumps(payload(alert), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: str, raw_body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    timestamp: str,
    raw_body: bytes,
    header: str,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    try:
        age = (time.time() if now is None else now) - int(timestamp)
    except ValueError:
        return False
    if abs(age) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature(secret, timestamp, raw_body), header)


def send(channel: Channel, alert: Alert) -> None:
    raw = body(alert)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        ALERT_ID_HEADER: alert.alert_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(channel.secret, timestamp, raw),
    }
    response = requests.post(channel.url, data=raw, headers=headers, timeout=channel.timeout_seconds)
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"HTTP {response.status_code} from the webhook")


def preview(channel: Channel, alert: Alert) -> str:
    return json.dumps(payload(alert), indent=2, sort_keys=True)
