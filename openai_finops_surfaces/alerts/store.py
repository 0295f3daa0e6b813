"""The alert log, `alerts.alert_log`: one row per alert and channel, so each is delivered once.

Statuses: `pending` (to deliver, or failed and to retry next run), `sending` (claimed by a run
that is delivering it now), `sent`, `failed` (gave up after `max_attempts`; kept, never dropped).

Overlapping runs: a run claims its deliveries in one transaction (insert the new rows, then flip
`pending` rows to `sending` with its own claim id). On DuckDB, optimistic concurrency fails one of
two conflicting transactions, which then retries and finds the rows already claimed; between
processes the file lock serializes the short transactions. On PostgreSQL the second claim waits
for the first's row locks and then sees the rows already claimed. A run that dies after claiming
leaves `sending` rows, which are claimable again after the lease.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from openai_finops_surfaces.alerts.model import Alert
from openai_finops_surfaces.warehouse import Warehouse

log = logging.getLogger("openai_finops_surfaces.alerts")

DDL = """
create schema if not exists {schema};
create table if not exists {table} (
    alert_id varchar not null,
    channel varchar not null,
    kind varchar not null,
    subject varchar not null,
    alert_day date not null,
    severity varchar not null,
    org_id varchar,
    project_id varchar,
    title varchar not null,
    alert_json varchar not null,
    status varchar not null,
    attempts integer not null,
    created_at timestamp not null,
    first_attempt_at timestamp,
    last_attempt_at timestamp,
    sent_at timestamp,
    claim_id varchar,
    last_error varchar,
    primary key (alert_id, channel)
)
"""


@dataclass(frozen=True)
class Delivery:
    alert: Alert
    channel: str
    attempts: int  # including the one being made now


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def log_table(warehouse: Warehouse) -> str:
    return warehouse.table("alerts", "alert_log")


def ensure_log(warehouse: Warehouse) -> None:
    ddl = DDL.format(schema=warehouse.schema("alerts"), table=log_table(warehouse))

    def work() -> None:
        for statement in filter(str.strip, ddl.split(";")):
            warehouse.execute(statement)

    warehouse.transaction(work)


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _insert_new(warehouse: Warehouse, wanted: Sequence[tuple[Alert, str]], now: datetime) -> None:
    if not wanted:
        return
    warehouse.executemany(
        f"""insert into {log_table(warehouse)}
               (alert_id, channel, kind, subject, alert_day, severity, org_id, project_id, title,
                alert_json, status, attempts, created_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)
           on conflict do nothing""",
        [
            [
                alert.alert_id,
                channel,
                alert.kind,
                alert.subject,
                alert.day,
                alert.severity,
                alert.org_id,
                alert.project_id,
                alert.title,
                alert.to_json(),
                now,
            ]
            for alert, channel in wanted
        ],
    )


def claim(
    warehouse: Warehouse,
    wanted: Iterable[tuple[Alert, str]],
    channels: Sequence[str],
    lease_seconds: int,
) -> tuple[str, list[Delivery]]:
    """Record the wanted deliveries and claim every due one on these channels (retries included).

    Returns the claim id and the deliveries this run now owns. Rows claimed by a live run, and
    rows already sent, are not returned, so a concurrent run never delivers them again.
    """
    wanted = list(wanted)
    claim_id = uuid.uuid4().hex
    if not channels:
        return claim_id, []

    def work() -> list[Delivery]:
        now = utc_now()
        _insert_new(warehouse, wanted, now)
        rows = warehouse.rows(
            f"""update {log_table(warehouse)}
               set status = 'sending', claim_id = ?, attempts = attempts + 1,
                   first_attempt_at = coalesce(first_attempt_at, ?), last_attempt_at = ?
               where channel in ({_placeholders(channels)})
                   and (status = 'pending' or (status = 'sending' and last_attempt_at < ?))
               returning alert_json, channel, attempts""",
            [claim_id, now, now, *channels, now - timedelta(seconds=lease_seconds)],
        )
        return [Delivery(Alert.from_json(text), channel, attempts) for text, channel, attempts in rows]

    deliveries = warehouse.transaction(work)
    deliveries.sort(key=lambda item: (item.alert.day, item.alert.kind, item.alert.subject, item.channel))
    return claim_id, deliveries


def due(
    warehouse: Warehouse, wanted: Iterable[tuple[Alert, str]], channels: Sequence[str]
) -> list[tuple[Alert, str, bool]]:
    """What a run would deliver now, without claiming anything: (alert, channel, is_retry)."""
    wanted = list(wanted)
    known: set[tuple[str, str]] = set()
    retries: list[tuple[Alert, str, bool]] = []
    if channels and warehouse.has_table("alerts", "alert_log"):
        for alert_id, channel, status, text in warehouse.rows(
            f"select alert_id, channel, status, alert_json from {log_table(warehouse)} "
            f"where channel in ({_placeholders(channels)})",
            list(channels),
        ):
            known.add((alert_id, channel))
            if status == "pending":
                retries.append((Alert.from_json(text), channel, True))
    new = [(alert, channel, False) for alert, channel in wanted if (alert.alert_id, channel) not in known]
    return new + retries


def finish(
    warehouse: Warehouse,
    claim_id: str,
    outcomes: Sequence[tuple[Delivery, str | None]],
    max_attempts: int,
) -> None:
    """Mark each claimed delivery sent, or back to pending with its (secret-free) error."""

    def work() -> None:
        now = utc_now()
        for delivery, error in outcomes:
            key = [delivery.alert.alert_id, delivery.channel, claim_id]
            if error is None:
                warehouse.execute(
                    f"""update {log_table(warehouse)}
                       set status = 'sent', sent_at = ?, last_error = null, claim_id = null
                       where alert_id = ? and channel = ? and claim_id = ?""",
                    [now, *key],
                )
            else:
                warehouse.execute(
                    f"""update {log_table(warehouse)}
                       set status = case when attempts >= ? then 'failed' else 'pending' end,
                           last_error = ?, claim_id = null
                       where alert_id = ? and channel = ? and claim_id = ?""",
                    [max_attempts, error, *key],
                )

    warehouse.transaction(work)
