"""The outcome of each load, recorded by the loader for the alerts: `openai_raw.loader_runs`.

The loader calls `record_run` once per run, after dlt has closed the warehouse: finished (with the
rows per table it loaded) or failed (with the one-line error it printed). Timestamps are UTC.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

RUN_STATUSES = ("succeeded", "partial", "failed")

DDL = """
create schema if not exists openai_raw;
create table if not exists openai_raw.loader_runs (
    run_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp not null,
    status varchar not null,
    organizations varchar not null,
    rows_loaded bigint not null,
    tables_json varchar not null,
    error varchar
)
"""


def _utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("record_run needs timezone-aware timestamps")
    return moment.astimezone(UTC).replace(tzinfo=None)


def record_run(
    duckdb_path: Path | str,
    *,
    started_at: datetime,
    finished_at: datetime,
    status: str,
    organizations: Sequence[str],
    rows_by_table: Mapping[str, int],
    error: str | None = None,
    run_id: str | None = None,
) -> str:
    """Append one run's outcome; returns its run id. `error` must already be free of secrets."""
    if status not in RUN_STATUSES:
        raise ValueError(f"status must be one of {', '.join(RUN_STATUSES)}")
    run_id = run_id or uuid.uuid4().hex
    with duckdb.connect(str(duckdb_path)) as con:
        con.execute(DDL)
        con.execute(
            "insert into openai_raw.loader_runs values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                _utc_naive(started_at),
                _utc_naive(finished_at),
                status,
                ",".join(organizations),
                sum(rows_by_table.values()),
                json.dumps(dict(sorted(rows_by_table.items()))),
                error,
            ],
        )
    return run_id
