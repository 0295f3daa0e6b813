"""The end-of-run summary: rows per table, windows, duration, failures."""

from __future__ import annotations

from datetime import datetime

from loader.pipeline import RunResult
from loader.settings import LoaderSettings


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def format_summary(result: RunResult, settings: LoaderSettings) -> str:
    lines = [
        f"Loaded into {settings.destination} dataset {settings.dataset_name}"
        + (f" ({settings.duckdb_path})" if settings.destination == "duckdb" else "")
    ]
    loaded = result.rows_by_table
    tables = sorted(set(loaded) | set(result.warehouse_rows))
    lines += _table(
        ("table", "rows read this run", "rows in warehouse"),
        [
            (
                t,
                f"{loaded.get(t, 0):,}",
                f"{result.warehouse_rows[t]:,}" if t in result.warehouse_rows else "-",
            )
            for t in tables
        ],
    )
    windows: dict[str, tuple[datetime, datetime]] = {}
    for stream in result.report.streams:
        if stream.start and stream.end:
            low, high = windows.get(stream.org, (stream.start, stream.end))
            windows[stream.org] = (min(low, stream.start), max(high, stream.end))
    for org, (low, high) in windows.items():
        lines.append(f"window {org}: {_day(low)} .. {_day(high)} UTC")
    if not result.loaded:
        lines.append("nothing loaded: no endpoint completed")
    lines.append(f"duration: {result.duration_seconds:.1f} s")
    streams = result.report.streams
    if streams:
        lines += _table(
            ("organization", "table", "group by", "pages", "rows", "outcome"),
            [
                (
                    stream.org,
                    stream.table,
                    stream.group_by,
                    f"{stream.pages:,}",
                    f"{stream.rows:,}",
                    "error" if stream.error else ("warning" if stream.warning else "ok"),
                )
                for stream in streams
            ],
        )
    for org, (requests_made, retries) in result.report.requests.items():
        lines.append(f"requests {org}: {requests_made:,} ({retries:,} retried)")
    for org, count in result.report.quarantined.items():
        lines.append(f"quarantined {org}: {count} value(s) in {settings.dataset_name}.rejected_rows")
    for org, table, message in result.report.warnings:
        lines.append(f"warning {org} ({table}): {message}")
    failed = result.report.failed_orgs
    lines.append(f"failed organizations: {', '.join(failed)}" if failed else "failures: none")
    return "\n".join(lines)
