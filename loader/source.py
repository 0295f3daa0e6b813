"""The dlt source: one merge resource per raw table, each reading every organization in turn.

Incremental design, per organization and stream (endpoint + bucket width + group-by set):
- the window is [start, end) with `end` frozen for the whole run, `start` = --start, else the
  last loaded bucket minus the lookback, else the backfill default; aligned to UTC buckets;
- rows merge with delete-insert on the bucket (org_id, bucket_width, group_by, bucket_start_at),
  so a re-read bucket replaces everything stored for it, rows that vanished included;
- a bucket that comes back empty (or is missing) yields a tombstone row that only deletes;
- the window is read in slices, one per extract, normalize and load (see pipeline.run_load), so
  memory stays that of one slice however long the backfill, and a killed backfill resumes after
  its last loaded slice; a slice spans one full usage page (7 days at 1h, 31 at 1d, 1 at 1m);
- the resource state advances only after a slice's last page, so a failure or a kill re-reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from loader.client import AdminApiClient, AuthError, LoaderError, RequestFailed
from loader.endpoints import (
    COSTS_BY_KEY_GROUP_BY,
    COSTS_ENDPOINT,
    COSTS_KEY_GROUPING_FROM,
    COSTS_PAGE_LIMIT,
    LIST_PAGE_LIMIT,
    METADATA_FIELDS,
    USAGE_ENDPOINTS,
    USAGE_PAGE_LIMITS,
    ReportEndpoint,
    group_by_label,
    required_fields,
    result_fields,
)
from loader.identity import ORGANIZATIONS_TABLE, organization_rows
from loader.progress import ProgressReporter
from loader.rows import (
    BUCKET_SECONDS,
    TOMBSTONE_COLUMN,
    BucketRows,
    ResultChecks,
    arrow_field,
    floor_to_bucket,
    rows_to_arrow,
)
from loader.settings import LoaderSettings, Organization

log = logging.getLogger("loader")

Rows = list[dict[str, Any]]
LOADER_COLUMNS: dict[str, dict[str, Any]] = {
    "org_id": {"data_type": "text", "nullable": False},
    "bucket_start_at": {"data_type": "timestamp", "nullable": False},
    "bucket_end_at": {"data_type": "timestamp", "nullable": False},
    "bucket_width": {"data_type": "text", "nullable": False},
    "group_by": {"data_type": "text", "nullable": False},
    "row_key": {"data_type": "text", "nullable": False},
}
BUCKET_MERGE_KEY = ["org_id", "bucket_width", "group_by", "bucket_start_at"]
# Rows per Arrow table handed to dlt: bounds memory on pages that hold hundreds of thousands of rows.
ARROW_CHUNK_ROWS = 20_000
# Costs pages may hold 180 days; at key level that is millions of rows for a large organization.
# A week per query, like a page of 1h usage, keeps memory flat however long the backfill.
COSTS_QUERY_DAYS = 7
# Values the API sent that cannot load (not a number, out of range, missing), one row each.
REJECTED_TABLE = "rejected_rows"
REFUSED_TABLE = "refused_requests"


@dataclass
class StreamOutcome:
    org: str
    table: str
    group_by: str
    start: datetime | None = None
    end: datetime | None = None
    pages: int = 0
    rows: int = 0
    completed: bool = False
    error: str | None = None
    warning: str | None = None


@dataclass
class RunReport:
    """What the run did, collected while extracting; the CLI prints it as the summary."""

    streams: list[StreamOutcome] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # org, table, message
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # org, table, message
    quarantined: dict[str, int] = field(default_factory=dict)  # org label -> values set aside
    requests: dict[str, tuple[int, int]] = field(default_factory=dict)  # org label -> (requests, retries)
    blocked_orgs: set[str] = field(default_factory=set)

    def fail(self, org: Organization, table: str, error: LoaderError) -> None:
        self.failures.append((org.label, table, str(error)))
        log.warning("%s", error)

    def warn(self, org: Organization, table: str, message: str) -> None:
        """Something is missing that leaves the bill whole; said once per organization and table."""
        entry = (org.label, table, message)
        if entry not in self.warnings:
            self.warnings.append(entry)
            log.warning("organization %s: %s", org.label, message)

    @property
    def failed_orgs(self) -> list[str]:
        return list(dict.fromkeys(org for org, _, _ in self.failures))


StreamId = tuple[str, str, str]  # org_id, table, width|group-by set


class RunContext:
    """Per-run objects shared by the resources: clients, frozen clock, report. Never global.

    A run extracts in slices (`start_slice`): each report stream reads at most one slice more per
    extract, continuing where it stopped; metadata lists are read in the first slice only.
    """

    def __init__(
        self, settings: LoaderSettings, report: RunReport, progress: ProgressReporter | None = None
    ) -> None:
        self.settings = settings
        self.report = report
        # Told of every stream's start, pages and end (loader/progress.py); shows nothing by default.
        self.progress = progress or ProgressReporter()
        self.now = settings.run_now()
        width = settings.bucket_width
        self.slice_seconds = USAGE_PAGE_LIMITS[width] * BUCKET_SECONDS[width]
        self.slice_number = 0
        self.slice_completed_any = False  # some stream finished its part of the current slice
        self.more_to_read = False  # some stream stopped at the slice's end, short of the run's
        self._read_until: dict[StreamId, int] = {}
        self._outcomes: dict[StreamId, StreamOutcome] = {}
        self._failed: set[StreamId] = set()
        self._clients: dict[str, AdminApiClient] = {}
        self.rejected: Rows = []  # quarantined values of the current slice, loaded with it
        self.refused: Rows = []  # streams the API refused in the current slice (a degraded warning)
        self._projects: dict[str, Rows | LoaderError] = {}
        self._org_starts: dict[str, datetime | None] = {}

    def start_slice(self) -> None:
        self.rejected = []
        self.refused = []
        self.slice_number += 1
        self.slice_completed_any = False
        self.more_to_read = False

    @property
    def first_slice(self) -> bool:
        return self.slice_number == 1

    def client(self, org: Organization) -> AdminApiClient:
        if org.org_id not in self._clients:
            self._clients[org.org_id] = AdminApiClient(org, self.settings.base_url, self.settings.retry)
        return self._clients[org.org_id]

    def close(self) -> None:
        for client in self._clients.values():
            self.report.requests[client.organization.label] = (client.requests_made, client.retries)
            client.close()

    def projects(self, org: Organization) -> Rows:
        """The organization's projects (archived included), fetched once per run."""
        cached = self._projects.get(org.org_id)
        if cached is None:
            try:
                cached = [
                    item
                    for page in self.client(org).iter_list(
                        "/organization/projects", {"limit": LIST_PAGE_LIMIT, "include_archived": "true"}
                    )
                    for item in page
                ]
            except LoaderError as error:
                cached = error
            self._projects[org.org_id] = cached
        if isinstance(cached, LoaderError):
            raise cached
        return cached

    def organization_start(self, org: Organization) -> datetime | None:
        """UTC midnight of the oldest project's creation: nothing can be billed before it.

        A `--start` years back would otherwise walk every empty page since then. None when the
        projects cannot be listed (their stream reports that) or carry no creation time; a refused
        key stops the organization here as any request would.
        """
        if org.org_id not in self._org_starts:
            try:
                created = [
                    p["created_at"] for p in self.projects(org) if isinstance(p.get("created_at"), int)
                ]
            except AuthError:
                raise  # every request of this organization would be refused: stop it here
            except LoaderError:
                created = []
            start = _dt(_midnight(_dt(min(created)))) if created else None
            self._org_starts[org.org_id] = start
            requested = self.window(None, "1d", None)[0]
            if start is not None and requested < start.timestamp():
                log.info(
                    "organization %s: its oldest project was created on %s; loading from then, not %s",
                    org.label,
                    start.date(),
                    _dt(requested).date(),
                )
        return self._org_starts[org.org_id]

    def slice_window(
        self,
        stream: StreamId,
        last_bucket_start: int | None,
        width: str,
        floor: datetime | None,
        backfill_from: date | None = None,
    ) -> tuple[int, int, int] | None:
        """(start, slice end, run end) of the stream's next slice; None when it has nothing left."""
        if stream in self._failed:
            return None  # failed in an earlier slice: reading on would leave a gap behind the state
        start, end = self.window(last_bucket_start, width, floor, backfill_from)
        start = self._read_until.get(stream, start)
        if start >= end:
            return None
        return start, min(end, start + self.slice_seconds), end

    def outcome(self, stream: StreamId, org: Organization, table: str, group_by: str) -> StreamOutcome:
        """The stream's one entry in the report, accumulated over the slices."""
        if stream not in self._outcomes:
            self._outcomes[stream] = StreamOutcome(org.label, table, group_by)
            self.report.streams.append(self._outcomes[stream])
        self.progress.stream(self._outcomes[stream], reading=True)
        return self._outcomes[stream]

    def count_page(self, outcome: StreamOutcome, rows: int) -> None:
        """A page read: where every stream's pages and rows are counted."""
        outcome.pages += 1
        outcome.rows += rows
        self.progress.stream(outcome, reading=True)

    def slice_read(self, stream: StreamId, slice_end: int, end: int) -> bool:
        """Record a slice read in full; True when the stream has reached the run's end."""
        self._read_until[stream] = slice_end
        self.slice_completed_any = True
        if slice_end < end:
            self.more_to_read = True
        return slice_end == end

    def stream_failed(self, stream: StreamId) -> None:
        self._failed.add(stream)

    def window(
        self,
        last_bucket_start: int | None,
        width: str,
        floor: datetime | None,
        backfill_from: date | None = None,
    ) -> tuple[int, int]:
        settings = self.settings
        end = int(self.now.timestamp())
        if settings.end is not None:
            end = min(end, _midnight(settings.end) + 86_400)
        if settings.start is not None:
            start = _midnight(settings.start)
        elif last_bucket_start is not None:
            start = last_bucket_start - settings.lookback_days * 86_400
        else:
            start = _midnight(self.now.date() - timedelta(days=settings.backfill_days))
            if backfill_from is not None:
                start = min(start, _midnight(backfill_from))
        start = floor_to_bucket(start, width)
        if floor is not None:
            start = max(start, int(floor.timestamp()))
        return start, end

    def per_org(self, table: str, stream: Callable[[Organization], Iterator[Any]]) -> Iterator[Any]:
        """Run `stream` for every organization; a failure is recorded and the next one goes on."""
        for org in self.settings.organizations:
            if org.org_id in self.report.blocked_orgs:
                continue
            try:
                yield from stream(org)
            except AuthError as error:
                # Every other endpoint would fail the same way: skip this organization from now on.
                self.report.blocked_orgs.add(org.org_id)
                self.report.fail(org, table, error)
            except LoaderError as error:
                self.report.fail(org, table, error)


def _midnight(day: Any) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _report_stream(
    run: RunContext,
    org: Organization,
    endpoint: ReportEndpoint,
    dimensions: tuple[str, ...],
    width: str,
    limit: int,
    state: dict[str, Any],
    floor: datetime | None = None,
    max_days: int | None = None,
) -> Iterator[pa.Table]:
    label = group_by_label(dimensions)
    stream_key = f"{width}|{label}"
    stream_id = (org.org_id, endpoint.table, stream_key)
    previous = state.get(stream_key, {}).get("last_bucket_start")
    floor = max(filter(None, (floor, run.organization_start(org))), default=None)
    backfill_from = run.settings.costs_backfill_from.get(org.org_id) if endpoint is COSTS_ENDPOINT else None
    window = run.slice_window(stream_id, previous, width, floor, backfill_from)
    if window is None:
        return
    start, slice_end, end = window
    outcome = run.outcome(stream_id, org, endpoint.table, label)
    outcome.start = outcome.start or _dt(start)
    outcome.end = _dt(slice_end)
    checks = ResultChecks.of(result_fields(endpoint), required_fields(endpoint))
    builder = BucketRows(org.org_id, endpoint.table, width, label, endpoint is COSTS_ENDPOINT, checks)
    declared = {name: arrow_field(name, hint) for name, hint in bucket_columns(endpoint).items()}
    began, rows_before = time.monotonic(), outcome.rows
    try:
        for chunk_start, chunk_end in _chunks(start, slice_end, max_days):
            params = {
                "start_time": chunk_start,
                "end_time": chunk_end,
                "bucket_width": width,
                "limit": limit,
                "group_by": list(dimensions),
            }
            yield from _fetch_window(run, org, endpoint, builder, declared, params, outcome)
    except RequestFailed as error:
        run.stream_failed(stream_id)
        outcome.completed = False
        warning = _degraded_stream_warning(endpoint, dimensions, error)
        if warning is None:
            outcome.error = str(error)
            raise
        outcome.warning = warning
        run.report.warn(org, endpoint.table, warning)
        # The stream is not read again this run: the refusal covers the rest of the run's window.
        run.refused.append(
            {
                "org_id": org.org_id,
                "table_name": endpoint.table,
                "bucket_width": width,
                "group_by": label,
                "request_start_at": _dt(builder.request_window[0] or start),
                "request_end_at": _dt(end),
                "http_status": error.status,
                "reason": warning,
                "refused_at": datetime.now(UTC),
            }
        )
        return
    except LoaderError as error:
        outcome.error = str(error)
        outcome.completed = False
        run.stream_failed(stream_id)
        raise
    finally:
        _quarantine(run, org, endpoint.table, builder)
        run.progress.stream(outcome, reading=False)
    last_bucket = floor_to_bucket(slice_end - 1, width)
    # Where the stream's loaded history begins (budgets judge coverage by it); unknown for a
    # stream first loaded before this was recorded.
    first = state.get(stream_key, {}).get("first_bucket_start")
    first = start if previous is None else None if first is None else min(first, start)
    state[stream_key] = {
        "last_bucket_start": max(previous or last_bucket, last_bucket),
        "first_bucket_start": first,
    }
    outcome.completed = run.slice_read(stream_id, slice_end, end)
    run.progress.stream(outcome, reading=False)
    log.info(
        "%s %s [%s] %s..%s: %d pages, %d rows (%.1fs)",
        org.label,
        endpoint.table,
        label,
        _dt(start).isoformat(),
        _dt(slice_end).isoformat(),
        outcome.pages,
        outcome.rows - rows_before,
        time.monotonic() - began,
    )


def _quarantine(run: RunContext, org: Organization, table: str, builder: BucketRows) -> None:
    """Hand the stream's rejected values to the run.

    A cost value set aside leaves the bill short (a failure); a usage value leaves only usage short
    in those buckets (a warning).
    """
    if not builder.rejected:
        return
    run.rejected.extend(builder.rejected)
    days = sorted({row["bucket_start_at"].date().isoformat() for row in builder.rejected})
    fields = sorted({f"{row['field']}={row['value']}" for row in builder.rejected})
    run.report.quarantined[org.label] = run.report.quarantined.get(org.label, 0) + len(builder.rejected)
    message = (
        f"{len(builder.rejected)} value(s) could not be loaded ({', '.join(fields[:3])}) and are "
        f"in {run.settings.dataset_name}.{REJECTED_TABLE}; the bucket(s) of {', '.join(days[:5])} "
        "keep what was loaded before"
    )
    if builder.is_costs:
        run.report.failures.append((org.label, table, f"{message}, so the bill is incomplete there"))
    else:
        run.report.warn(org, table, f"{message}; the bill is not affected")
    builder.rejected = []


def _degraded_stream_warning(
    endpoint: ReportEndpoint, dimensions: tuple[str, ...], error: RequestFailed
) -> str | None:
    """The warning for a refusal that leaves the bill whole; None when the stream has failed.

    A 404 on a usage endpoint is one the organization does not have. A 400 on costs grouped by
    API key is OpenAI refusing key grouping (it did for some organizations in 2026): the
    project-level costs stream still carries the whole bill, only per-key costs are missing.
    """
    if error.status == 404 and endpoint is not COSTS_ENDPOINT:
        return f"{endpoint.table}: HTTP 404, the organization has no such endpoint; nothing loaded for it"
    if error.status == 400 and endpoint is COSTS_ENDPOINT and dimensions == COSTS_BY_KEY_GROUP_BY:
        return (
            "costs grouped by api_key_id refused (HTTP 400); the bill is loaded by project and line "
            "item, per-key costs are unavailable and allocation uses usage shares"
        )
    return None


def _chunks(start: int, end: int, max_days: int | None) -> Iterator[tuple[int, int]]:
    if max_days is None:
        yield start, end
        return
    for chunk_start in range(start, end, max_days * 86_400):
        yield chunk_start, min(chunk_start + max_days * 86_400, end)


def _fetch_window(
    run: RunContext,
    org: Organization,
    endpoint: ReportEndpoint,
    builder: BucketRows,
    declared: dict[str, pa.Field],
    params: dict[str, Any],
    outcome: StreamOutcome,
) -> Iterator[pa.Table]:
    """One query's pages as Arrow tables of at most ARROW_CHUNK_ROWS rows, tombstones included."""
    start, end, step = params["start_time"], params["end_time"], builder.step
    builder.request_window = (start, end)
    cursor = start  # first bucket start not yet accounted for
    seen: set[int] = set()
    rows: Rows = []
    # Twice the pages the window's buckets fill, and two more: room for a server that pages short.
    max_pages = 2 * -(-(end - start) // (step * params["limit"])) + 2
    pages = run.client(org).iter_report_pages(endpoint.path, params, max_pages)
    for page_number, buckets in pages:
        data_rows = 0
        for bucket in buckets:
            bucket_start = bucket["start_time"]
            if bucket_start < start or bucket_start >= end or bucket_start in seen:
                continue  # outside the window, or served twice: each bucket is loaded once
            seen.add(bucket_start)
            if bucket_start > cursor:
                rows.extend(builder.tombstones(range(cursor, bucket_start, step), end))
            bucket_rows = builder.bucket(bucket)
            if bucket_rows is None:  # a value quarantined: the bucket keeps what was loaded before
                cursor = max(cursor, bucket_start + step)
                continue
            if bucket_rows:
                rows.extend(bucket_rows)
                data_rows += len(bucket_rows)
            else:
                rows.extend(builder.tombstones(range(bucket_start, bucket_start + 1), end))
            cursor = max(cursor, bucket_start + step)
            if len(rows) >= ARROW_CHUNK_ROWS:
                yield rows_to_arrow(rows, declared)
                rows = []
        run.count_page(outcome, data_rows)
        log.debug(
            "%s %s [%s] page %d: %d rows", org.label, endpoint.table, builder.group_by, page_number, data_rows
        )
    # Only now is the whole window known: buckets the API never returned are empty too.
    rows.extend(builder.tombstones(range(cursor, end, step), end))
    if rows:
        yield rows_to_arrow(rows, declared)


def _dt(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def _orgs_state(table: str) -> dict[str, Any]:
    return dlt.current.resource_state(table).setdefault("orgs", {})


def _usage_resource(run: RunContext, endpoint: ReportEndpoint) -> DltResource:
    width = run.settings.bucket_width

    def stream(org: Organization) -> Iterator[pa.Table]:
        state = _orgs_state(endpoint.table).setdefault(org.org_id, {})
        yield from _report_stream(
            run, org, endpoint, endpoint.group_by, width, USAGE_PAGE_LIMITS[width], state
        )

    def usage() -> Iterator[pa.Table]:
        yield from run.per_org(endpoint.table, stream)

    return _bucket_resource(usage, endpoint)


def _costs_resource(run: RunContext) -> DltResource:
    def stream(org: Organization) -> Iterator[pa.Table]:
        state = _orgs_state(COSTS_ENDPOINT.table).setdefault(org.org_id, {})
        yield from _report_stream(
            run,
            org,
            COSTS_ENDPOINT,
            COSTS_ENDPOINT.group_by,
            "1d",
            COSTS_PAGE_LIMIT,
            state,
            max_days=COSTS_QUERY_DAYS,
        )
        # Key-level costs: OpenAI refuses api_key_id grouping for windows before this day.
        yield from _report_stream(
            run,
            org,
            COSTS_ENDPOINT,
            COSTS_BY_KEY_GROUP_BY,
            "1d",
            COSTS_PAGE_LIMIT,
            state,
            floor=COSTS_KEY_GROUPING_FROM,
            max_days=COSTS_QUERY_DAYS,
        )

    def costs() -> Iterator[pa.Table]:
        yield from run.per_org(COSTS_ENDPOINT.table, stream)

    return _bucket_resource(costs, COSTS_ENDPOINT)


def bucket_columns(endpoint: ReportEndpoint) -> dict[str, dict[str, Any]]:
    columns: dict[str, dict[str, Any]] = {**LOADER_COLUMNS, **result_fields(endpoint)}
    columns[TOMBSTONE_COLUMN] = {"data_type": "bool", "nullable": True, "hard_delete": True}
    return columns


def _bucket_resource(generator: Callable[[], Iterator[pa.Table]], endpoint: ReportEndpoint) -> DltResource:
    # Only a merge key, no primary key: dlt would OR the two in its delete, which DuckDB runs as a
    # nested loop (minutes on large tables) instead of a hash join on the bucket columns. Rows are
    # unique by construction (one pass per bucket per run); a resumed load package is the one way
    # to duplicate them, and pipeline.remove_duplicate_rows repairs that.
    return dlt.resource(
        generator,
        name=endpoint.table,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        merge_key=BUCKET_MERGE_KEY,
        columns=bucket_columns(endpoint),
    )


def _metadata_resource(
    run: RunContext,
    table: str,
    primary_key: list[str],
    fetch: Callable[[Organization], Iterator[Rows]],
) -> DltResource:
    def stream(org: Organization) -> Iterator[Rows]:
        if not run.first_slice:
            return
        outcome = StreamOutcome(org.label, table, "")
        run.report.streams.append(outcome)
        run.progress.stream(outcome, reading=True)
        try:
            for rows in fetch(org):
                run.count_page(outcome, len(rows))
                if rows:
                    yield rows
            outcome.completed = True
        except LoaderError as error:
            outcome.error = str(error)
            raise
        finally:
            run.progress.stream(outcome, reading=False)
        run.slice_completed_any = True
        log.info("%s %s: %d rows", org.label, table, outcome.rows)

    def metadata() -> Iterator[Rows]:
        yield from run.per_org(table, stream)

    columns: dict[str, dict[str, Any]] = {"org_id": {"data_type": "text", "nullable": False}}
    if table in ("project_api_keys", "project_service_accounts"):
        columns["project_id"] = {"data_type": "text", "nullable": False}
    columns.update({name: {"data_type": kind} for name, kind in METADATA_FIELDS[table].items()})
    for key in primary_key:
        columns[key]["nullable"] = False
    return dlt.resource(
        metadata,
        name=table,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key=primary_key,
        columns=columns,
    )


def _metadata_resources(run: RunContext) -> list[DltResource]:
    def projects(org: Organization) -> Iterator[Rows]:
        yield [{"org_id": org.org_id, **item} for item in run.projects(org)]

    def users(org: Organization) -> Iterator[Rows]:
        for page in run.client(org).iter_list("/organization/users", {"limit": LIST_PAGE_LIMIT}):
            yield [{"org_id": org.org_id, **item} for item in page]

    def per_project(suffix: str, params: dict[str, Any]) -> Callable[[Organization], Iterator[Rows]]:
        def fetch(org: Organization) -> Iterator[Rows]:
            for project in run.projects(org):
                project_id = project["id"]
                path = f"/organization/projects/{project_id}/{suffix}"
                try:
                    for page in run.client(org).iter_list(path, {"limit": LIST_PAGE_LIMIT, **params}):
                        yield [{"org_id": org.org_id, "project_id": project_id, **item} for item in page]
                except RequestFailed as error:
                    if error.status != 404:
                        raise
                    # A project deleted between the two listings has nothing left to list.
                    log.debug("%s: %s", org.label, error)

        return fetch

    return [
        _metadata_resource(run, "projects", ["org_id", "id"], projects),
        _metadata_resource(run, "users", ["org_id", "id"], users),
        _metadata_resource(
            run,
            "project_api_keys",
            ["org_id", "project_id", "id"],
            per_project("api_keys", {"owner_project_access": "any"}),
        ),
        _metadata_resource(
            run,
            "project_service_accounts",
            ["org_id", "project_id", "id"],
            per_project("service_accounts", {}),
        ),
    ]


@dlt.source(name="openai", max_table_nesting=2)
def openai_source(run: RunContext) -> list[DltResource]:
    """Every selected endpoint of every configured organization, as merge resources."""
    wanted = set(run.settings.endpoints) if run.settings.endpoints else None
    resources = [_usage_resource(run, endpoint) for endpoint in USAGE_ENDPOINTS]
    resources.append(_costs_resource(run))
    resources.extend(_metadata_resources(run))
    names = {endpoint.table: endpoint.name for endpoint in USAGE_ENDPOINTS}
    selected = [
        resource
        for resource in resources
        if wanted is None or names.get(resource.name, resource.name) in wanted
    ]
    # Last: extraction runs resources in order (fifo), so every value set aside is collected by now.
    noted = [_organizations_resource(run), _rejected_rows_resource(run), _refused_requests_resource(run)]
    return [*selected, *noted]


def _organizations_resource(run: RunContext) -> DltResource:
    """Which organizations the warehouse holds, and which are simulated (loader/identity.py)."""

    def costs_loaded_from(org_id: str) -> datetime | None:
        """The first day of the organization's loaded costs (every day's grouping), from the state."""
        streams = dlt.current.resource_state(COSTS_ENDPOINT.table).get("orgs", {}).get(org_id, {})
        first = streams.get(f"1d|{group_by_label(COSTS_ENDPOINT.group_by)}", {}).get("first_bucket_start")
        return None if first is None else _dt(first)

    def organizations() -> Iterator[Rows]:
        # Every slice, last: the costs read by now may reach further back than at the first slice.
        yield [
            row | {"costs_loaded_from": costs_loaded_from(row["org_id"])} for row in organization_rows(run)
        ]

    return dlt.resource(
        organizations,
        name=ORGANIZATIONS_TABLE,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key="org_id",
        columns={
            "org_id": {"data_type": "text", "nullable": False},
            "name": {"data_type": "text", "nullable": False},
            "is_simulated": {"data_type": "bool", "nullable": False},
            "loaded_at": {"data_type": "timestamp", "nullable": False},
            "costs_loaded_from": {"data_type": "timestamp", "nullable": True},
        },
    )


def _run_records_resource(name: str, records: Callable[[], Rows], columns: dict[str, Any]) -> DltResource:
    """An append table of what the run noted while reading (values set aside, refused streams)."""

    def run_records() -> Iterator[Rows]:
        rows = records()
        if rows:
            yield list(rows)

    return dlt.resource(run_records, name=name, write_disposition="append", columns=columns)


def _rejected_rows_resource(run: RunContext) -> DltResource:
    return _run_records_resource(
        REJECTED_TABLE,
        lambda: run.rejected,
        {
            "request_start_at": {"data_type": "timestamp", "nullable": False},
            "request_end_at": {"data_type": "timestamp", "nullable": False},
            "bucket_start_at": {"data_type": "timestamp", "nullable": False},
            "bucket_end_at": {"data_type": "timestamp", "nullable": False},
            "rejected_at": {"data_type": "timestamp", "nullable": False},
            "value": {"data_type": "text", "nullable": True},
        },
    )


def _refused_requests_resource(run: RunContext) -> DltResource:
    return _run_records_resource(
        REFUSED_TABLE,
        lambda: run.refused,
        {
            "request_start_at": {"data_type": "timestamp", "nullable": False},
            "request_end_at": {"data_type": "timestamp", "nullable": False},
            "http_status": {"data_type": "bigint", "nullable": False},
            "refused_at": {"data_type": "timestamp", "nullable": False},
        },
    )


def build_source(run: RunContext) -> DltSource:
    return openai_source(run)
