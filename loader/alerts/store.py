"""The alert log, `alerts.alert_log`: one row per alert and channel, so each is delivered once.

Statuses: `pending` (to deliver, or failed and to retry next run), `sending` (claimed by a run
that is delivering it now), `sent`, `failed` (gave up after `max_attempts`; kept, never dropped).

Overlapping runs: a run claims its deliveries in one transaction (insert the new rows, then flip
`pending` rows to `sending` with its own claim id). DuckDB's optimistic concurrency fails one of
two conflicting transactions, which then retries and finds the rows already claimed. Between
processes the DuckDB file lock serializes the short transactions; `connect` waits for it. A run
that dies after claiming leaves `sending` rows, which are claimable again after the lease.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import duckdb

from loader.alerts.model import Alert

log = logging.getLogger("loader.alerts")
T = TypeVar("T")

DDL = """
create schema if not exists {catalog}.alerts;
create table if not exists {catalog}.alerts.alert_log (
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


def connect(path: Path | str, timeout_seconds: float, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting while another process (a run, dbt, the loader) holds its lock."""
    deadline = time.monotonic() + timeout_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                raise
            log.debug("warehouse locked by another process; waiting")
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    # A failed commit has already ended the transaction; then there is nothing to roll back.
    with contextlib.suppress(duckdb.Error):
        con.execute("rollback")


def _in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], T], attempts: int = 20) -> T:
    for attempt in range(1, attempts + 1):
        con.execute("begin transaction")
        try:
            result = work()
            con.execute("commit")
            return result
        except (duckdb.TransactionException, duckdb.ConstraintException) as error:
            # Another run committed a conflicting claim first; re-read and try again.
            _rollback(con)
            if attempt == attempts:
                raise
            log.debug("alert log write conflict (%s); retrying", type(error).__name__)
            time.sleep(0.01 * attempt * (1 + random.random()))
        except BaseException:
            _rollback(con)
            raise
    raise AssertionError("unreachable")


def _catalog(con: duckdb.DuckDBPyConnection) -> str:
    # Qualified with the database: a warehouse file named alerts.duckdb makes "alerts" ambiguous.
    (name,) = con.execute("select current_database()").fetchone() or ("",)
    return '"' + str(name).replace('"', '""') + '"'


def log_table(con: duckdb.DuckDBPyConnection) -> str:
    return f"{_catalog(con)}.alerts.alert_log"


def ensure_log(con: duckdb.DuckDBPyConnection) -> None:
    ddl = DDL.format(catalog=_catalog(con))
    _in_transaction(con, lambda: con.execute(ddl))


def _insert_new(con: duckdb.DuckDBPyConnection, wanted: Sequence[tuple[Alert, str]], now: datetime) -> None:
    if not wanted:
        return
    con.executemany(
        f"""insert into {log_table(con)}
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
    con: duckdb.DuckDBPyConnection,
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
        _insert_new(con, wanted, now)
        rows = con.execute(
            f"""update {log_table(con)}
               set status = 'sending', claim_id = ?, attempts = attempts + 1,
                   first_attempt_at = coalesce(first_attempt_at, ?), last_attempt_at = ?
               where list_contains(?, channel)
                   and (status = 'pending' or (status = 'sending' and last_attempt_at < ?))
               returning alert_json, channel, attempts""",
            [claim_id, now, now, list(channels), now - timedelta(seconds=lease_seconds)],
        ).fetchall()
        return [Delivery(Alert.from_json(text), channel, attempts) for text, channel, attempts in rows]

    deliveries = _in_transaction(con, work)
    deliveries.sort(key=lambda item: (item.alert.day, item.alert.kind, item.alert.subject, item.channel))
    return claim_id, deliveries


def due(
    con: duckdb.DuckDBPyConnection, wanted: Iterable[tuple[Alert, str]], channels: Sequence[str]
) -> list[tuple[Alert, str, bool]]:
    """What a run would deliver now, without claiming anything: (alert, channel, is_retry)."""
    wanted = list(wanted)
    known: set[tuple[str, str]] = set()
    retries: list[tuple[Alert, str, bool]] = []
    if channels and _log_exists(con):
        for alert_id, channel, status, text in con.execute(
            f"select alert_id, channel, status, alert_json from {log_table(con)} "
            "where list_contains(?, channel)",
            [list(channels)],
        ).fetchall():
            known.add((alert_id, channel))
            if status == "pending":
                retries.append((Alert.from_json(text), channel, True))
    new = [(alert, channel, False) for alert, channel in wanted if (alert.alert_id, channel) not in known]
    return new + retries


def _log_exists(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'alerts' and table_name = 'alert_log'"
    ).fetchone()
    return bool(found and found[0])


def finish(
    con: duckdb.DuckDBPyConnection,
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
                con.execute(
                    f"""update {log_table(con)}
                       set status = 'sent', sent_at = ?, last_error = null, claim_id = null
                       where alert_id = ? and channel = ? and claim_id = ?""",
                    [now, *key],
                )
            else:
                con.execute(
                    f"""update {log_table(con)}
                       set status = case when attempts >= ? then 'failed' else 'pending' end,
                           last_error = ?, claim_id = null
                       where alert_id = ? and channel = ? and claim_id = ?""",
                    [max_attempts, error, *key],
                )

    _in_transaction(con, work)
