"""The outcome of each load, written by the loader into the warehouse as data: `openai_raw.loader_runs`.

One row per run, after the run: finished (with the rows per table it loaded) or failed (with the
one-line error it printed, free of secrets). Written through dlt's SQL client of the run's own
destination, so DuckDB and PostgreSQL get it alike; whoever reads it (the alerts) needs nothing of
the loader but the table. Timestamps are UTC, stored without a time zone.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from loader.settings import LoaderSettings

log = logging.getLogger("loader")

RUN_LOG_TABLE = "loader_runs"
RUN_STATUSES = ("succeeded", "partial", "failed")
_COLUMNS = """(
    run_id varchar(64) primary key,
    started_at timestamp not null,
    finished_at timestamp not null,
    status varchar(16) not null,
    organizations text not null,
    rows_loaded bigint not null,
    tables_json text not null,
    error text
)"""


def _utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("record_run needs timezone-aware timestamps")
    return moment.astimezone(UTC).replace(tzinfo=None)


def record_run(
    settings: LoaderSettings,
    *,
    started_at: datetime,
    finished_at: datetime,
    status: str,
    organizations: Sequence[str],
    rows_by_table: Mapping[str, int],
    error: str | None = None,
    run_id: str | None = None,
) -> str:
    """Append one run's outcome to the run's warehouse; returns its run id."""
    if status not in RUN_STATUSES:
        raise ValueError(f"status must be one of {', '.join(RUN_STATUSES)}")
    from loader.pipeline import make_pipeline  # dlt only when a run is recorded

    run_id = run_id or uuid.uuid4().hex
    with make_pipeline(settings).sql_client() as client:
        if not client.has_dataset():
            client.create_dataset()
        table = client.make_qualified_table_name(RUN_LOG_TABLE)
        client.execute_sql(f"create table if not exists {table} {_COLUMNS}")
        client.execute_sql(
            f"insert into {table} values (%s, %s, %s, %s, %s, %s, %s, %s)",
            run_id,
            _utc_naive(started_at),
            _utc_naive(finished_at),
            status,
            ",".join(organizations),
            sum(rows_by_table.values()),
            json.dumps(dict(sorted(rows_by_table.items()))),
            error,
        )
    return run_id


def record_run_or_warn(settings: LoaderSettings, **outcome: object) -> None:
    """record_run, but a warehouse that cannot take the row (the reason a load failed) only warns."""
    try:
        record_run(settings, **outcome)  # type: ignore[arg-type]
    except Exception as error:  # the run's own outcome is already printed; the log is a copy
        log.warning(
            "could not write the run to openai_raw.%s: %s: %s", RUN_LOG_TABLE, type(error).__name__, error
        )
