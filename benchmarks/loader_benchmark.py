"""Loader throughput and memory against a large simulated organization, next to a plain baseline.

    .venv/bin/python benchmarks/loader_benchmark.py [--days 365] [--width 1h] [--endpoints all]

The simulated organization (100 projects, 1,000 users, `--days` of history) is served from this
process; each measured phase runs in its own process so its peak memory (ru_maxrss) is its own:

- fetch: every page the loader requests, fetched with plain requests and parsed with json;
- baseline: the same, plus flattening and bulk-inserting each page into DuckDB through Arrow;
- loader: `loader.pipeline.run_load` (dlt extract, normalize, merge load) into a fresh DuckDB.

`--days 30,365` runs each size in turn, showing whether memory grows with the backfill.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from loader.endpoints import (  # noqa: E402
    COSTS_BY_KEY_GROUP_BY,
    COSTS_ENDPOINT,
    COSTS_KEY_GROUPING_FROM,
    COSTS_PAGE_LIMIT,
    USAGE_ENDPOINTS,
    USAGE_PAGE_LIMITS,
    parse_endpoint_names,
)
from loader.source import COSTS_QUERY_DAYS  # noqa: E402

NOW = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


def _requests_plan(endpoints: tuple[str, ...], width: str, start: int, end: int) -> list[tuple[str, dict]]:
    """The report queries the loader sends for this window (metadata lists are not benchmarked)."""
    plan: list[tuple[str, dict]] = []
    for endpoint in USAGE_ENDPOINTS:
        if endpoint.name in endpoints:
            params = {"start_time": start, "end_time": end, "bucket_width": width}
            params |= {"limit": USAGE_PAGE_LIMITS[width], "group_by": list(endpoint.group_by)}
            plan.append((endpoint.path, params))
    if "costs" in endpoints:
        key_start = max(start, int(COSTS_KEY_GROUPING_FROM.timestamp()))
        step = COSTS_QUERY_DAYS * 86_400
        for group_by, first in ((COSTS_ENDPOINT.group_by, start), (COSTS_BY_KEY_GROUP_BY, key_start)):
            # The loader asks for costs a month at a time; so does the baseline.
            for chunk_start in range(first, end, step):
                params = {"start_time": chunk_start, "end_time": min(chunk_start + step, end)}
                params |= {"bucket_width": "1d", "limit": COSTS_PAGE_LIMIT, "group_by": list(group_by)}
                plan.append((COSTS_ENDPOINT.path, params))
    return plan


def _flatten(result: dict[str, Any], org_id: str, bucket: dict[str, Any], width: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "org_id": org_id,
        "bucket_start_at": bucket["start_time"],
        "bucket_end_at": bucket["end_time"],
        "bucket_width": width,
    }
    for name, value in result.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                row[f"{name}__{inner}"] = inner_value
        else:
            row[name] = value
    return row


def _column(pa: Any, values: list[Any]) -> Any:
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. amount.value as number and as string
        return pa.array([None if value is None else str(value) for value in values])
    return pa.array(values, pa.string()) if pa.types.is_null(array.type) else array


def _phase_plain(args: argparse.Namespace, insert: bool) -> dict[str, Any]:
    import duckdb
    import pyarrow as pa
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {args.key}"
    con = duckdb.connect(str(Path(args.workdir) / "baseline.duckdb")) if insert else None
    created: set[str] = set()
    rows = 0
    began = time.monotonic()
    for path, params in _requests_plan(tuple(args.endpoints.split(",")), args.width, args.start, args.end):
        table = path.rsplit("/", 1)[-1]
        width = params["bucket_width"]
        query = dict(params)
        while True:
            response = session.get(args.base_url + path, params=query, timeout=120)
            response.raise_for_status()
            # Decimal, as the loader does: costs are exact in both, so the comparison is fair.
            page = json.loads(response.content, parse_float=Decimal)
            batch = [
                _flatten(result, args.org, bucket, width)
                for bucket in page["data"]
                for result in bucket["results"]
            ]
            rows += len(batch)
            if con is not None and batch:
                names = dict.fromkeys(name for row in batch for name in row)
                arrow = pa.table({name: _column(pa, [row.get(name) for row in batch]) for name in names})  # noqa: F841
                if table not in created:
                    con.execute(f"create table {table} as select * from arrow")
                    created.add(table)
                else:
                    con.execute(f"insert into {table} by name select * from arrow")
            if not page.get("has_more"):
                break
            query = {**params, "page": page["next_page"]}
    return {"seconds": time.monotonic() - began, "rows": rows}


def _phase_loader(args: argparse.Namespace) -> dict[str, Any]:
    from loader.pipeline import run_load
    from loader.settings import LoaderSettings, Organization

    workdir = Path(args.workdir)
    settings = LoaderSettings(
        organizations=(Organization(name=args.org, org_id=args.org, admin_key=args.key),),
        base_url=args.base_url,
        endpoints=tuple(args.endpoints.split(",")),
        start=datetime.fromtimestamp(args.start, UTC).date(),
        bucket_width=args.width,
        duckdb_path=workdir / "loader.duckdb",
        pipelines_dir=workdir / "pipelines",
        now=datetime.fromtimestamp(args.end, UTC),
    )
    began = time.monotonic()
    result = run_load(settings)
    if not result.ok:
        raise SystemExit(f"loader failed: {result.report.failures}")
    return {"seconds": time.monotonic() - began, "rows": sum(result.rows_by_table.values())}


def _run_phase(phase: str, common: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *common], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _benchmark(days: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    from openai_simulator import Simulator, SimulatorConfig, serve

    # One organization for every size (its history is the longest asked for), so a longer backfill
    # reads more of the same organization's weeks, not a differently grown organization.
    sim = Simulator(SimulatorConfig.large(now=NOW, history_days=args.history_days))
    org = sim.organizations[0]
    start = int(datetime.combine(NOW.date() - timedelta(days=days), datetime.min.time(), UTC).timestamp())
    end = int(NOW.timestamp())
    results = []
    with serve(sim) as server, tempfile.TemporaryDirectory() as workdir:
        common = [
            "--base-url", server.base_url, "--key", org.admin_key, "--org", org.org_id,
            "--width", args.width, "--endpoints", ",".join(args.endpoint_names),
            "--start", str(start), "--end", str(end), "--workdir", workdir,
        ]  # fmt: skip
        for phase in ("fetch", "baseline", "loader"):
            measured = _run_phase(phase, common)
            measured.update(phase=phase, days=days)
            results.append(measured)
            print(
                f"  {days:>4} days  {phase:<9} {measured['seconds']:8.1f} s  {measured['rows']:>10,} rows  "
                f"{measured['peak_mb']:7.0f} MB",
                file=sys.stderr,
            )
    return results


def _print_table(results: list[dict[str, Any]]) -> None:
    header = ("days", "phase", "seconds", "rows", "rows/s", "peak MB", "time vs baseline", "MB vs baseline")
    lines = [header]
    for result in results:
        base = next(r for r in results if r["days"] == result["days"] and r["phase"] == "baseline")
        lines.append(
            (
                str(result["days"]),
                result["phase"],
                f"{result['seconds']:.1f}",
                f"{result['rows']:,}",
                f"{result['rows'] / result['seconds']:,.0f}",
                f"{result['peak_mb']:.0f}",
                f"{result['seconds'] / base['seconds']:.2f}x",
                f"{result['peak_mb'] / base['peak_mb']:.2f}x",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for index, line in enumerate(lines):
        print("  ".join(cell.rjust(widths[i]) for i, cell in enumerate(line)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default="365", help="days of history; a comma list runs each size")
    parser.add_argument("--width", default="1h", choices=("1d", "1h", "1m"))
    parser.add_argument("--endpoints", default="all", help="comma list of report endpoints, or all")
    parser.add_argument("--phase", choices=("fetch", "baseline", "loader"), help=argparse.SUPPRESS)
    for hidden in ("--base-url", "--key", "--org", "--workdir"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--end", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        if args.phase == "loader":
            measured = _phase_loader(args)
        else:
            measured = _phase_plain(args, insert=args.phase == "baseline")
        # ru_maxrss is in KiB on Linux.
        measured["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(measured))
        return

    report_endpoints = (*(e.name for e in USAGE_ENDPOINTS), "costs")
    names = report_endpoints if args.endpoints == "all" else parse_endpoint_names(args.endpoints)
    args.endpoint_names = tuple(name for name in names if name in report_endpoints)
    results: list[dict[str, Any]] = []
    print(
        f"loader benchmark, {args.width} buckets, endpoints: {', '.join(args.endpoint_names)}",
        file=sys.stderr,
    )
    sizes = [int(text) for text in args.days.split(",")]
    args.history_days = max(sizes)
    for days in sizes:
        results.extend(_benchmark(days, args))
    _print_table(results)


if __name__ == "__main__":
    main()
