"""One alerts run: collect from the marts, route, claim in the log, deliver, record outcomes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from loader.alerts import store
from loader.alerts.channels import PREVIEWS, DeliveryError, deliver
from loader.alerts.collect import collect_alerts
from loader.alerts.config import AlertsConfig
from loader.alerts.model import Alert

log = logging.getLogger("loader.alerts")


@dataclass
class RunSummary:
    found: int = 0
    sent: list[tuple[str, str]] = field(default_factory=list)  # (alert_id, channel)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (alert_id, channel, error)


def _wanted(config: AlertsConfig, alerts: list[Alert]) -> list[tuple[Alert, str]]:
    return [(alert, channel.name) for alert in alerts for channel in config.channels_for(alert)]


def run_alerts(
    config: AlertsConfig,
    duckdb_path: Path,
    today: date | None = None,
) -> RunSummary:
    today = today or datetime.now(UTC).date()
    summary = RunSummary()
    con = store.connect(duckdb_path, config.lock_timeout_seconds)
    try:
        alerts = collect_alerts(con, today, config.lookback_days)
        summary.found = len(alerts)
        store.ensure_log(con)
        claim_id, deliveries = store.claim(
            con, _wanted(config, alerts), list(config.channels), config.claim_lease_seconds
        )
    finally:
        # Not held while delivering: dbt, the loader and other runs need the file meanwhile.
        con.close()
    log.info("%d alerts in the marts; %d deliveries to make", len(alerts), len(deliveries))

    outcomes: list[tuple[store.Delivery, str | None]] = []
    for delivery in deliveries:
        channel = config.channels[delivery.channel]
        try:
            deliver(channel, delivery.alert)
        except DeliveryError as error:
            outcomes.append((delivery, str(error)))
            summary.failed.append((delivery.alert.alert_id, channel.name, str(error)))
            log.warning(
                "alert %s to %s failed (attempt %d): %s",
                delivery.alert.alert_id,
                channel.name,
                delivery.attempts,
                error,
            )
        else:
            outcomes.append((delivery, None))
            summary.sent.append((delivery.alert.alert_id, channel.name))
            log.info("alert %s sent to %s: %s", delivery.alert.alert_id, channel.name, delivery.alert.title)

    if outcomes:
        con = store.connect(duckdb_path, config.lock_timeout_seconds)
        try:
            store.finish(con, claim_id, outcomes, config.max_attempts)
        finally:
            con.close()
    return summary


def dry_run(config: AlertsConfig, duckdb_path: Path, today: date | None = None) -> str:
    """What a run would send now, rendered per channel; touches nothing."""
    today = today or datetime.now(UTC).date()
    con = store.connect(duckdb_path, config.lock_timeout_seconds, read_only=True)
    try:
        alerts = collect_alerts(con, today, config.lookback_days)
        pending = store.due(con, _wanted(config, alerts), list(config.channels))
    finally:
        con.close()
    if not pending:
        return f"Dry run: {len(alerts)} alerts in the marts, nothing new to send."
    parts = [f"Dry run: {len(alerts)} alerts in the marts; {len(pending)} deliveries would be made."]
    for alert, channel_name, is_retry in pending:
        channel = config.channels[channel_name]
        parts.append(
            f"\n--- {channel_name} ({channel.type}){' retry' if is_retry else ''}: "
            f"{alert.kind} {alert.severity} {alert.alert_id}\n{PREVIEWS[channel.type](channel, alert)}"
        )
    return "\n".join(parts)
