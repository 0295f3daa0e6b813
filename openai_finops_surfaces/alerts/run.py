"""One alerts run: collect from the marts, route, claim in the log, deliver, record outcomes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from openai_finops_surfaces.alerts import store
from openai_finops_surfaces.alerts.channels import PREVIEWS, DeliveryError, deliver
from openai_finops_surfaces.alerts.collect import collect_alerts
from openai_finops_surfaces.alerts.config import AlertsConfig
from openai_finops_surfaces.alerts.model import Alert
from openai_finops_surfaces.warehouse import Target, Warehouse

log = logging.getLogger("openai_finops_surfaces.alerts")


@dataclass
class RunSummary:
    found: int = 0
    sent: list[tuple[str, str]] = field(default_factory=list)  # (alert_id, channel)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (alert_id, channel, error)


def _wanted(config: AlertsConfig, alerts: list[Alert]) -> list[tuple[Alert, str]]:
    return [(alert, channel.name) for alert in alerts for channel in config.channels_for(alert)]


def run_alerts(
    config: AlertsConfig,
    target: Target,
    today: date | None = None,
) -> RunSummary:
    today = today or datetime.now(UTC).date()
    summary = RunSummary()
    # Not held while delivering: dbt, the loader and other runs need a DuckDB file meanwhile.
    with Warehouse.open(target, lock_timeout_seconds=config.lock_timeout_seconds) as warehouse:
        alerts = collect_alerts(warehouse, today, config.lookback_days)
        summary.found = len(alerts)
        store.ensure_log(warehouse)
        claim_id, deliveries = store.claim(
            warehouse, _wanted(config, alerts), list(config.channels), config.claim_lease_seconds
        )
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
        with Warehouse.open(target, lock_timeout_seconds=config.lock_timeout_seconds) as warehouse:
            store.finish(warehouse, claim_id, outcomes, config.max_attempts)
    return summary


def dry_run(config: AlertsConfig, target: Target, today: date | None = None) -> str:
    """What a run would send now, rendered per channel; touches nothing."""
    today = today or datetime.now(UTC).date()
    with Warehouse.open(
        target, read_only=True, lock_timeout_seconds=config.lock_timeout_seconds
    ) as warehouse:
        alerts = collect_alerts(warehouse, today, config.lookback_days)
        pending = store.due(warehouse, _wanted(config, alerts), list(config.channels))
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
