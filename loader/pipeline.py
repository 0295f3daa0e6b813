"""Run the dlt pipeline once: finish what a killed run left, extract, normalize, load, summarize."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import resource
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.configuration.container import Container
from dlt.common.configuration.providers.toml import SettingsTomlProvider
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from dlt.common.destination import Destination
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from loader.identity import check_demo_and_real, check_identities
from loader.progress import ProgressReporter
from loader.settings import ConfigError, LoaderSettings
from loader.source import RunContext, RunReport, build_source

log = logging.getLogger("loader")

# The loader's committed dlt settings (each with its reason there): dlt reads them from the project
# directory, and the loader adds them as its last config provider wherever it runs.
LOADER_DLT_SETTINGS = Path(__file__).resolve().parent.parent / ".dlt" / "config.toml"
_LOADER_SETTINGS_PROVIDER = "openai-finops .dlt/config.toml"
# DuckDB's own default. dlt raises it to 1 GB, so a slice's rows sat uncompressed in memory (twice:
# staging and final table, ~280 MB for a week of a large organization) until the checkpoint when
# the connection closed, which needed ~200 MB more on top: the load step's peak.
DUCKDB_CHECKPOINT_THRESHOLD = "16MB"
# A checkpoint merges partly filled row groups (each slice leaves one per table) by rewriting up
# to three of them in memory: +200 MB, more often the more slices a backfill has (a 90-day backfill
# of a large organization peaked at 684 MB). Past this limit DuckDB spills to <warehouse>.tmp.
DUCKDB_MEMORY_LIMIT = "128MB"
# One DuckDB thread per load job: the two load jobs already run side by side, and more threads only
# competed with them and with the Python process for the cores (7 and 30 days: load step up to 20%
# faster, peak memory 15-55 MB lower, measured on 2 shared cores).
DUCKDB_THREADS = 1
# glibc's mallopt options (malloc.h).
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8


class LoadFailed(Exception):
    """The load itself (not one organization) failed; the CLI exits 1 with this message."""


class LoaderBusy(LoadFailed):
    """Another loader holds the pipeline folder."""


@dataclass
class RunResult:
    report: RunReport
    duration_seconds: float
    loaded: bool
    warehouse_rows: dict[str, int] = field(default_factory=dict)

    @property
    def rows_by_table(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for stream in self.report.streams:
            totals[stream.table] += stream.rows
        return dict(totals)

    @property
    def ok(self) -> bool:
        return not self.report.failures


def destination_for(settings: LoaderSettings) -> Any:
    if settings.destination == "duckdb":
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        credentials = DuckDbCredentials(
            str(settings.duckdb_path),
            # Statements run after dlt's global settings on each new connection, so this one wins.
            statements=[
                f"SET GLOBAL checkpoint_threshold = '{DUCKDB_CHECKPOINT_THRESHOLD}'",
                f"SET GLOBAL memory_limit = '{DUCKDB_MEMORY_LIMIT}'",
                f"SET GLOBAL threads = {DUCKDB_THREADS}",
            ],
        )
        return dlt.destinations.duckdb(credentials=credentials)
    # Any other dlt destination by name; its credentials come from dlt config/secrets as usual.
    return Destination.from_reference(settings.destination)


def make_pipeline(settings: LoaderSettings) -> dlt.Pipeline:
    settings.pipelines_dir.mkdir(parents=True, exist_ok=True)
    # Arrow's default allocator (mimalloc) keeps what it freed: slice after slice the process grew
    # by the pages it had converted. The system allocator returns it.
    pa.set_memory_pool(pa.system_memory_pool())
    _return_freed_memory_to_the_system()
    use_loader_dlt_settings()
    return dlt.pipeline(
        pipeline_name=settings.pipeline_name,
        destination=destination_for(settings),
        dataset_name=settings.dataset_name,
        pipelines_dir=str(settings.pipelines_dir.resolve()),
    )


def use_loader_dlt_settings() -> None:
    """Make dlt read the loader's .dlt/config.toml after every other config provider.

    dlt reads .dlt from the working directory or DLT_PROJECT_DIR, so a run from another directory or
    dlt project (a test, a script calling run_load) would miss the settings the loader relies on.
    Last, so a value set in the environment, the project's .dlt or ~/.dlt still wins. The [runtime]
    settings are not covered: dlt resolves them when it starts, before this provider exists.
    """
    providers = Container()[PluggableRunContext].providers
    if _LOADER_SETTINGS_PROVIDER in providers or not LOADER_DLT_SETTINGS.is_file():
        return
    settings_dir = str(LOADER_DLT_SETTINGS.parent)
    dlt.config.register_provider(
        SettingsTomlProvider(_LOADER_SETTINGS_PROVIDER, False, LOADER_DLT_SETTINGS.name, [settings_dir])
    )


def _return_freed_memory_to_the_system() -> None:
    """Make glibc give back what the loader frees instead of keeping it for reuse.

    By default a freed page body (tens of MB) raises glibc's mmap threshold, so later bodies come
    from its heap and stay there, and every worker thread gets an arena of its own: the process
    floor rose with each slice. No-op where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
    libc.mallopt(_M_ARENA_MAX, 2)


@contextlib.contextmanager
def pipeline_lock(settings: LoaderSettings) -> Iterator[None]:
    """One loader per pipeline folder: a second one stops at once, naming the one that runs.

    An flock, not a bare file: the kernel releases it when its process dies, so the lock of a
    killed loader is taken over without anyone deleting anything.
    """
    settings.pipelines_dir.mkdir(parents=True, exist_ok=True)
    path = settings.pipelines_dir / f"{settings.pipeline_name}.lock"
    with open(path, "a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "another process"
            raise LoaderBusy(
                f"another loader is running on {settings.pipelines_dir} ({holder}); "
                "wait for it to finish, or point OPENAI_FINOPS_PIPELINES_DIR elsewhere"
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        lock_file.flush()
        try:
            yield
        finally:
            lock_file.truncate(0)
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def lock_holder(pipelines_dir: Path, pipeline_name: str) -> str | None:
    """Who holds the pipeline's lock ("pid N, started T UTC"), or None when no loader runs."""
    path = pipelines_dir / f"{pipeline_name}.lock"
    if not path.exists():
        return None
    with open(path) as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return lock_file.read().strip() or "another process"
        fcntl.flock(lock_file, fcntl.LOCK_UN)
    return None


def run_load(settings: LoaderSettings, progress: ProgressReporter | None = None) -> RunResult:
    """Load once; `progress` is told of each stream's pages and rows (loader/progress.py)."""
    with pipeline_lock(settings):
        return _run_load(settings, progress)


def _run_load(settings: LoaderSettings, progress: ProgressReporter | None) -> RunResult:
    began = time.monotonic()
    pipeline = make_pipeline(settings)
    try:
        pipeline = _forget_state_of_another_warehouse(pipeline)
        pipeline.sync_destination()  # as dlt's run() does: the warehouse's state wins if newer
        # A killed run may have left extracted or normalized packages: load them first, exactly
        # as that run would have; their state was committed with them.
        report = RunReport()
        if pipeline.has_pending_data:
            pipeline = _finish_or_drop_pending_packages(pipeline, report)

        run = RunContext(settings, report, progress)
        loaded = False
        try:
            if not settings.full_refresh:
                check_identities(pipeline, run)
            check_demo_and_real(pipeline, run)
            while True:
                run.start_slice()
                if not _load_slice(pipeline, run):
                    break
                loaded = True
                if not run.more_to_read:
                    break
        finally:
            run.close()
    except ConfigError:
        raise  # a configuration to fix (exit 2), not a failed load
    except Exception as error:
        raise LoadFailed(_describe(error)) from error
    result = RunResult(report, time.monotonic() - began, loaded=loaded)
    if loaded:
        result.warehouse_rows = warehouse_row_counts(pipeline)
    return result


def _finish_or_drop_pending_packages(pipeline: dlt.Pipeline, report: RunReport) -> dlt.Pipeline:
    """Load what an interrupted run left, exactly as it would have; drop it if it cannot load.

    A package that fails (a damaged file, a value the warehouse refuses) would otherwise fail
    every later run. Dropping the local pipeline and taking the state back from the warehouse
    forgets only what never loaded: its windows are read again, nothing loaded is touched.
    """
    log.info("finishing the load packages of an interrupted run")
    try:
        pipeline.normalize()
        pipeline.load(workers=_load_workers(pipeline)).raise_on_failed_jobs()
        remove_duplicate_rows(pipeline)
        return pipeline
    except Exception as error:
        message = (
            f"dropped load package(s) an earlier run left and that cannot load ({_describe(error)}); "
            "their windows are read again, data already loaded is untouched"
        )
        report.warnings.append(("-", "pipeline", message))
        log.warning("%s", message)
    pipeline = pipeline.drop()
    pipeline.sync_destination()
    return pipeline


def _load_slice(pipeline: dlt.Pipeline, run: RunContext) -> bool:
    """Extract, normalize and load one slice; False when nothing in it completed."""
    settings = run.settings
    step_began = time.monotonic()
    run.progress.step(f"slice {run.slice_number}: reading pages")
    pipeline.extract(
        build_source(run),
        # Dropping the tables belongs to the first slice only: later ones add to them.
        refresh="drop_resources" if settings.full_refresh and run.first_slice else None,
        loader_file_format=_file_format(pipeline, settings),
    )
    log.info(
        "slice %d: extract finished in %.1fs (peak memory %d MB)",
        run.slice_number,
        time.monotonic() - step_began,
        _peak_mb(),
    )
    if not run.slice_completed_any:
        # Nothing succeeded (e.g. every key refused): leave the warehouse exactly as it was.
        pipeline.abort_packages()
        return False
    step_began = time.monotonic()
    run.progress.step(f"slice {run.slice_number}: normalizing")
    pipeline.normalize()
    log.info("normalize finished in %.1fs (peak memory %d MB)", time.monotonic() - step_began, _peak_mb())
    step_began = time.monotonic()
    run.progress.step(f"slice {run.slice_number}: loading into {settings.destination}")
    pipeline.load(workers=_load_workers(pipeline)).raise_on_failed_jobs()
    log.info("load finished in %.1fs (peak memory %d MB)", time.monotonic() - step_began, _peak_mb())
    return True


def _forget_state_of_another_warehouse(pipeline: dlt.Pipeline) -> dlt.Pipeline:
    """Start over when the warehouse holds no loader state but the local pipeline does.

    The local state may belong to another warehouse (OPENAI_FINOPS_DUCKDB changed, a fresh test
    warehouse): resuming from it would load only the lookback into an empty warehouse. Pending
    packages are never dropped: they are the first load of this very warehouse, interrupted.
    """
    if pipeline.first_run or pipeline.has_pending_data or _destination_has_state(pipeline):
        return pipeline
    log.info("the warehouse holds no loader state yet: loading from the start")
    return pipeline.drop()


def _destination_has_state(pipeline: dlt.Pipeline) -> bool:
    try:
        with pipeline.sql_client() as client:
            rows = client.execute_sql(
                f"select count(*) from {client.make_qualified_table_name('_dlt_pipeline_state')} "
                "where pipeline_name = %s",
                pipeline.pipeline_name,
            )
    except Exception:  # no dataset or no state table yet
        return False
    return bool(rows and rows[0][0])


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux


def _load_workers(pipeline: dlt.Pipeline) -> int:
    # DuckDB has one writer: more parallel load jobs than two only wait for it, each holding its
    # file's rows in memory meanwhile (20, dlt's default, peaked ~10% higher for no gain in time).
    return 2 if pipeline.destination.destination_name == "duckdb" else 20


def _file_format(pipeline: dlt.Pipeline, settings: LoaderSettings) -> Any:
    # DuckDB imports the Arrow pages as parquet directly. Elsewhere name the destination's own
    # format: dlt would otherwise try parquet for Arrow pages (e.g. PostgreSQL needs ADBC for it).
    capabilities = pipeline.destination.capabilities()
    if settings.prefer_parquet and pipeline.destination.destination_name == "duckdb":
        return "parquet"
    return capabilities.preferred_loader_file_format


def remove_duplicate_rows(pipeline: dlt.Pipeline) -> int:
    """Keep one row per row_key in the report tables; returns how many rows were removed.

    A load job killed after its insert committed but before dlt recorded it runs again when the
    package resumes, inserting its rows twice; this runs after every resumed package.
    """
    removed = 0
    if pipeline.destination.destination_type != "dlt.destinations.duckdb":
        log.warning("interrupted load resumed: check report tables for duplicate row_key values")
        return removed
    with pipeline.sql_client() as client:
        # The destination's own catalogue: the local schema may not exist yet after a kill.
        tables = client.execute_sql(
            "select table_name from information_schema.columns where table_schema = %s "
            "and column_name = 'bucket_start_at' and table_name in (select table_name from "
            "information_schema.columns where table_schema = %s and column_name = 'row_key')",
            client.dataset_name,
            client.dataset_name,
        )
        for (table,) in tables or []:
            name = client.make_qualified_table_name(table)
            rows = client.execute_sql(
                f"delete from {name} where rowid in (select rowid from (select rowid, row_number() over "
                f"(partition by row_key order by rowid) as copy from {name}) where copy > 1) returning 1"
            )
            removed += len(rows or [])
    if removed:
        log.warning("removed %d duplicated rows left by the interrupted load", removed)
    return removed


def _describe(error: BaseException) -> str:
    # dlt wraps step failures; the innermost cause is the message a person can act on.
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = getattr(error, "exception", None) or error.__cause__
        if not isinstance(inner, BaseException):
            break
        error = inner
    return f"{type(error).__name__}: {error}"


def warehouse_row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    counts: dict[str, int] = {}
    try:
        tables = pipeline.default_schema.data_table_names()
    except Exception:  # no schema yet
        return counts
    with pipeline.sql_client() as client:
        for table in sorted(tables):
            try:
                rows = client.execute_sql(f"select count(*) from {client.make_qualified_table_name(table)}")
            except Exception:  # in the schema but not created (no data seen yet)
                continue
            counts[table] = int(rows[0][0]) if rows else 0
    return counts
