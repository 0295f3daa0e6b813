"""dbt on a large simulated organization (DuckDB): full refresh next to hand-written SQL, and the
daily incremental run after a month and after a year of history.

    .venv/bin/python benchmarks/dbt_benchmark.py [--days 365] [--month-days 30] [--width 1h]
        [--no-tests] [--history-cache DIR]

The organization is `SimulatorConfig.large()` (100 projects, 1,000 users, 3 keys per project) with
`--days` of history in `--width` usage buckets, served from this process. Every measured step runs
in a child process of its own, so its peak memory (ru_maxrss from wait4) is that step's alone:

- load: the loader (`loader.pipeline.run_load`) backfills the history into a fresh DuckDB file
  (`--history-cache DIR`: copied from DIR when an earlier run saved it there, and then not measured;
  a year of 1h buckets takes the loader about 25 minutes);
- dbt start-up: `dbt build` with an empty selection (parse, connect, nothing to run): dbt's fixed cost;
- dbt build: `dbt build --full-refresh`, every model, seed, data test and unit test (`--no-tests`:
  models and seeds only; on a large organization the data tests take most of the time);
- bounded (`--memory-limit 4GB`): the same full refresh with DuckDB's `memory_limit` in the
  profile, to show what capping memory costs in time;
- dbt facts: `dbt run --full-refresh` of fct_openai_cost and fct_openai_usage with their parents;
- hand SQL: the same two facts written by hand in DuckDB SQL from the raw tables (the floor): the
  latest load of each row, each endpoint's most detailed group-by set, the key-level or
  project-level costs of each day summed to the grain, names and keys; the benchmark fails unless
  it holds the dbt facts' rows and totals;
- daily: the clock moves a day, then the loader loads the new day (plus its lookback) and
  `dbt build` runs incrementally, on a warehouse holding `--month-days` and one holding `--days`.

The goal: dbt facts within 1.5x of hand SQL plus dbt's start-up, and the daily run after a year
within 1.3x of the daily run after a month.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

NOW = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
USAGE_TABLES = (
    "completions",
    "embeddings",
    "moderations",
    "images",
    "audio_speeches",
    "audio_transcriptions",
    "vector_stores",
    "code_interpreter_sessions",
    "file_search_calls",
    "web_search_calls",
)
DIMENSIONS = (
    "project_id",
    "user_id",
    "api_key_id",
    "model",
    "service_tier",
    "is_batch",
    "image_size",
    "image_source",
    "context_level",
    "vector_store_id",
)
QUANTITIES = (
    "input_tokens", "input_cached_tokens", "input_cache_write_tokens", "input_uncached_tokens",
    "output_tokens", "input_text_tokens", "input_audio_tokens", "input_image_tokens",
    "input_cached_text_tokens", "input_cached_audio_tokens", "input_cached_image_tokens",
    "output_text_tokens", "output_audio_tokens", "output_image_tokens", "num_model_requests",
    "images", "characters", "seconds", "usage_bytes", "num_sessions", "num_requests",
)  # fmt: skip


def _hand_sql(con: Any) -> dict[str, int]:
    """fct_openai_cost and fct_openai_usage by hand: the work the models must do, and no more."""

    def columns(table: str) -> set[str]:
        rows = con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'openai_raw' and table_name = ?",
            [table],
        ).fetchall()
        return {row[0] for row in rows}

    con.execute("create schema if not exists hand")
    live = "not coalesce(_loader_tombstone, false)" if "_loader_tombstone" in columns("costs") else "true"
    con.execute(
        f"""
        create or replace table hand.fct_openai_cost as
        with latest as (
            select * from openai_raw.costs
            where {live}
            qualify row_number() over (partition by row_key order by _dlt_load_id desc) = 1
        ),
        costs as (
            select *, cast(timezone('UTC', bucket_start_at) as date) as charge_date,
                max(case when group_by like '%api_key_id%' then 1 else 0 end)
                    over (partition by org_id, charge_date) as day_has_keys
            from latest
        ),
        selected as (
            select org_id, charge_date, project_id, line_item,
                case when group_by like '%api_key_id%' then api_key_id end as api_key_id,
                any_value(amount__currency) as amount__currency, sum(amount__value) as amount__value,
                sum(quantity) as quantity, any_value(quantity_unit) as quantity_unit
            from costs
            where (day_has_keys = 1) = (group_by like '%api_key_id%')
            group by all
        ),
        parsed as (
            select *, cast(charge_date as timestamp) as bucket_start_at,
                trim(split_part(line_item, ',', 1)) as line_item_model,
                nullif(trim(split_part(line_item, ',', 2)), '') as line_item_token_type
            from selected
        )
        select
            md5(concat_ws('|', parsed.org_id, parsed.charge_date, parsed.project_id, parsed.line_item,
                parsed.api_key_id)) as x_cost_row_id,
            parsed.amount__value as "BilledCost",
            parsed.amount__value as "EffectiveCost",
            parsed.amount__value as "ListCost",
            parsed.org_id as "BillingAccountId",
            upper(parsed.amount__currency) as "BillingCurrency",
            date_trunc('month', parsed.bucket_start_at) as "BillingPeriodStart",
            date_trunc('month', parsed.bucket_start_at) + interval 1 month as "BillingPeriodEnd",
            parsed.bucket_start_at as "ChargePeriodStart",
            parsed.bucket_start_at + interval 1 day as "ChargePeriodEnd",
            case when parsed.amount__value < 0 then 'Credit' else 'Usage' end as "ChargeCategory",
            parsed.quantity as "ConsumedQuantity",
            case when parsed.quantity_unit like '%token%' then parsed.quantity / 1000000
                else parsed.quantity end as "PricingQuantity",
            case when parsed.quantity != 0
                then cast(parsed.amount__value / parsed.quantity as decimal(38, 18)) end as "ListUnitPrice",
            parsed.line_item_model as "SkuId",
            parsed.line_item as "SkuPriceId",
            parsed.project_id as "SubAccountId",
            projects.name as "SubAccountName",
            parsed.api_key_id as "x_ApiKeyId",
            keys.name as "x_ApiKeyName",
            parsed.line_item_token_type as "x_TokenType",
            to_json({{organization: parsed.org_id, project: projects.name, api_key: keys.name}})::varchar
                as "Tags"
        from parsed
        left join openai_raw.projects as projects
            on parsed.org_id = projects.org_id and parsed.project_id = projects.id
        left join openai_raw.project_api_keys as keys
            on parsed.org_id = keys.org_id and parsed.api_key_id = keys.id
        """
    )
    latest = []
    selects = []
    for name in USAGE_TABLES:
        present = columns(f"usage_{name}")
        if not present:
            continue
        cols = [
            f"'{name}' as endpoint",
            "org_id",
            "bucket_width",
            "timezone('UTC', bucket_start_at) as bucket_start_at",
            "timezone('UTC', bucket_end_at) as bucket_end_at",
            "group_by",
        ]
        renamed = {"is_batch": "batch", "image_size": "size", "image_source": "source"}
        for column in DIMENSIONS + QUANTITIES:
            raw = renamed.get(column, column)
            cols.append(f"{raw} as {column}" if raw in present else f"null as {column}")
        live = "not coalesce(_loader_tombstone, false)" if "_loader_tombstone" in present else "true"
        latest.append(
            f"latest_{name} as (select {', '.join(cols)} from openai_raw.usage_{name} where {live} "
            "qualify row_number() over (partition by row_key order by _dlt_load_id desc) = 1)"
        )
        # each endpoint's most detailed group-by set only (the cheapest way found: see the model)
        selects.append(
            f"select * from latest_{name} "
            f"where length(group_by) = (select max(length(group_by)) from latest_{name})"
        )
    key = ", ".join(
        f"coalesce(cast({c} as varchar), '')" for c in ("org_id", "endpoint", "bucket_start_at", *DIMENSIONS)
    )
    con.execute(
        f"""
        create or replace table hand.fct_openai_usage as
        with {", ".join(latest)},
        unioned as ({" union all by name ".join(selects)})
        select md5(concat_ws('|', {key})) as usage_id, *, cast(bucket_start_at as date) as usage_date
        from unioned
        """
    )
    return {
        table: con.execute(f"select count(*) from hand.{table}").fetchone()[0]
        for table in ("fct_openai_cost", "fct_openai_usage")
    }


def _same_outputs(duckdb_path: Path) -> str:
    """The hand-written facts hold the dbt facts' rows and totals (so the floor does the same work)."""
    import duckdb

    checks = {
        "fct_openai_cost": (
            'select count(*), sum("BilledCost"), count(distinct x_cost_row_id) from {}',
            'select count(*), sum("BilledCost"), count(distinct "x_CostRowId") from {} '
            "where \"ChargeCategory\" = 'Usage'",
        ),
        "fct_openai_usage": (
            "select count(*), sum(input_tokens), count(distinct usage_id) from {}",
            "select count(*), sum(input_tokens), count(distinct usage_id) from {}",
        ),
    }
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        differ = [
            f"{table}: hand {hand} != dbt {dbt}"
            for table, (hand_sql, dbt_sql) in checks.items()
            if (hand := con.execute(hand_sql.format(f"hand.{table}")).fetchone())
            != (dbt := con.execute(dbt_sql.format(f"marts.{table}")).fetchone())
        ]
    if differ:
        raise SystemExit("hand-written SQL and dbt disagree: " + "; ".join(differ))
    return "same rows and totals as dbt"


def _phase(args: argparse.Namespace) -> dict[str, Any]:
    """Runs inside the child process."""
    if args.phase == "load":
        from loader.pipeline import run_load
        from loader.settings import LoaderSettings, Organization

        settings = LoaderSettings(
            organizations=(Organization(name=args.org, org_id=args.org, admin_key=args.key),),
            base_url=args.base_url,
            start=datetime.fromtimestamp(args.start, UTC).date() if args.start else None,
            bucket_width=args.width,
            duckdb_path=Path(args.duckdb),
            pipelines_dir=Path(args.duckdb).with_suffix(".pipelines"),
            now=datetime.fromtimestamp(args.end, UTC),
        )
        result = run_load(settings)
        if not result.ok:
            raise SystemExit(f"loader failed: {result.report.failures}")
        return {"rows": sum(result.rows_by_table.values())}
    import duckdb

    with duckdb.connect(args.duckdb) as con:
        return {"rows": sum(_hand_sql(con).values())}


def _measure(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Wall time and peak memory of one child process (and whatever it waited for)."""
    began = time.monotonic()
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"step failed: {' '.join(command)}\n{output[-4000:]}")
    measured: dict[str, Any] = {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}
    last = output.strip().splitlines()[-1] if output.strip() else ""
    if last.startswith("{"):
        measured.update(json.loads(last))
    return measured


def _launcher() -> Executor:
    """Where steps are started from: a worker of a fresh forkserver process, not this one.

    Linux counts the memory of the process a child was forked from in the child's peak (ru_maxrss
    survives fork and exec), and this process grows to ~1.4 GB serving the simulated year, which
    would then be the floor of every step's peak MB.
    """
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))


class Bench:
    def __init__(
        self, args: argparse.Namespace, work_dir: Path, base_url: str, org: Any, launcher: Executor
    ) -> None:
        self.args = args
        self.launcher = launcher
        self.work_dir = work_dir
        self.base_url = base_url
        self.org = org
        self.results: list[tuple[str, dict[str, Any]]] = []
        profiles = work_dir / "profiles"
        profiles.mkdir()
        shutil.copy(REPO_ROOT / "profiles.example.yml", profiles / "profiles.yml")
        self.env = dict(os.environ) | {
            "DBT_PROFILES_DIR": str(profiles),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }

    def record(self, label: str, measured: dict[str, Any]) -> dict[str, Any]:
        self.results.append((label, measured))
        print(f"  {label:<44} {measured['seconds']:8.1f} s  {measured['peak_mb']:7.0f} MB", file=sys.stderr)
        return measured

    def load(self, duckdb_path: Path, now: datetime, start: datetime | None) -> dict[str, Any]:
        command = [
            sys.executable, __file__, "--phase", "load", "--base-url", self.base_url,
            "--key", self.org.admin_key, "--org", self.org.org_id, "--width", self.args.width,
            "--duckdb", str(duckdb_path), "--end", str(int(now.timestamp())),
        ]  # fmt: skip
        if start is not None:
            command += ["--start", str(int(start.timestamp()))]
        return self.launcher.submit(_measure, command, self.env).result()

    def load_history(self, label: str, duckdb_path: Path, days: int) -> None:
        """Backfill `days` of history, or copy it from --history-cache (filled on the first run)."""
        pipelines = duckdb_path.with_suffix(".pipelines")
        cache = self.args.history_cache
        cached = cache / f"{days}d-{self.args.width}.duckdb" if cache else None
        if cached is not None and cached.exists():
            shutil.copy(cached, duckdb_path)
            shutil.copytree(cached.with_suffix(".pipelines"), pipelines)
            print(f"  {label:<44} copied from {cached}", file=sys.stderr)
            return
        loaded = self.record(label, self.load(duckdb_path, NOW, NOW - timedelta(days=days)))
        loaded["note"] = f"{loaded['rows']:,} raw rows"
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(duckdb_path, cached)
            shutil.copytree(pipelines, cached.with_suffix(".pipelines"), dirs_exist_ok=True)

    def bounded_profiles(self, memory_limit: str) -> Path:
        """A copy of the example profile whose DuckDB target caps DuckDB's memory."""
        import yaml

        profiles = yaml.safe_load((REPO_ROOT / "profiles.example.yml").read_text())
        profiles["openai_finops"]["outputs"]["duckdb"]["settings"]["memory_limit"] = memory_limit
        folder = self.work_dir / "profiles_bounded"
        folder.mkdir(exist_ok=True)
        (folder / "profiles.yml").write_text(yaml.safe_dump(profiles))
        return folder

    def dbt(self, duckdb_path: Path, *args: str, profiles_dir: Path | None = None) -> dict[str, Any]:
        env = self.env | {
            "OPENAI_FINOPS_DUCKDB": str(duckdb_path),
            "DBT_TARGET_PATH": str(duckdb_path.with_suffix(".target")),
            "DBT_LOG_PATH": str(duckdb_path.with_suffix(".logs")),
        }
        if profiles_dir is not None:
            env["DBT_PROFILES_DIR"] = str(profiles_dir)
        dbt_bin = str(Path(sys.executable).with_name("dbt"))
        # The large organization has the id of the demo's first one: the demo's budgets apply.
        width = json.dumps({"usage_bucket_width": self.args.width, "demo": True})
        no_tests = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
        extra = no_tests if self.args.no_tests and args[0] == "build" else []
        command = [dbt_bin, *args, *extra, "--target", "duckdb", "--vars", width]
        return self.launcher.submit(_measure, command, env).result()

    def hand_sql(self, duckdb_path: Path) -> dict[str, Any]:
        command = [sys.executable, __file__, "--phase", "hand", "--duckdb", str(duckdb_path)]
        return self.launcher.submit(_measure, command, self.env).result()


def _print_table(bench: Bench) -> None:
    results = dict(bench.results)
    startup = results["dbt start-up (empty selection)"]["seconds"]
    hand = results["hand SQL: the two facts"]["seconds"]
    rows = [("step", "seconds", "peak MB", "note")]
    for label, measured in bench.results:
        rows.append(
            (label, f"{measured['seconds']:.1f}", f"{measured['peak_mb']:.0f}", measured.get("note", ""))
        )
    width = [max(len(row[i]) for row in rows) for i in range(4)]
    for index, row in enumerate(rows):
        print(
            "  ".join(
                cell.ljust(width[i]) if i in (0, 3) else cell.rjust(width[i]) for i, cell in enumerate(row)
            )
        )
        if index == 0:
            print("  ".join("-" * w for w in width))
    facts = results["dbt run: the two facts + parents"]["seconds"]
    long, short = f"{bench.args.days} days", f"{bench.args.month_days} days"
    build = results[f"dbt build --full-refresh ({long})"]["seconds"]
    month = results[f"daily: load + dbt build ({short})"]["seconds"]
    year = results[f"daily: load + dbt build ({long})"]["seconds"]
    month_dbt = results[f"daily: dbt build ({short})"]["seconds"]
    year_dbt = results[f"daily: dbt build ({long})"]["seconds"]
    print()
    print(f"dbt facts / (hand SQL + start-up)      {facts / (hand + startup):.2f}x  (goal <= 1.5)")
    scope = "models and seeds" if bench.args.no_tests else "every model, seed and test"
    print(f"dbt build / (hand SQL + start-up)      {build / (hand + startup):.2f}x  ({scope})")
    print(f"daily run, {long} / {short}    {year / month:.2f}x  (goal <= 1.3 for 365 / 30 days)")
    print(f"daily dbt build only, {long} / {short}    {year_dbt / month_dbt:.2f}x")
    build_mb = results[f"dbt build --full-refresh ({long})"]["peak_mb"]
    for label, measured in bench.results:
        if "memory_limit" in label:
            time_ratio, memory_ratio = measured["seconds"] / build, measured["peak_mb"] / build_mb
            print(f"{label}: {time_ratio:.2f}x the time, {memory_ratio:.2f}x the peak memory")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="history of the large warehouse (default 365)")
    parser.add_argument(
        "--month-days", type=int, default=30, help="history of the small warehouse (default 30)"
    )
    parser.add_argument("--width", default="1h", choices=("1d", "1h"), help="usage bucket width (default 1h)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (printed)")
    parser.add_argument(
        "--no-tests",
        action="store_true",
        help="dbt build without data and unit tests (models and seeds only), for a quick run",
    )
    parser.add_argument(
        "--history-cache",
        type=Path,
        help="folder of loaded histories: a history found there is copied instead of loaded (its load "
        "step is then not measured); one loaded is saved there for the next run",
    )
    parser.add_argument(
        "--memory-limit",
        help="also run the full refresh with DuckDB's memory_limit set to this (e.g. 4GB) in the profile",
    )
    parser.add_argument("--phase", choices=("load", "hand"), help=argparse.SUPPRESS)
    for hidden in ("--base-url", "--key", "--org", "--duckdb"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--end", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(args)))
        return

    from openai_simulator import Simulator, SimulatorConfig, serve

    sim = Simulator(SimulatorConfig.large(now=NOW, history_days=args.days))
    work_dir = Path(tempfile.mkdtemp(prefix="dbt-benchmark-"))
    year_db, month_db = work_dir / "year.duckdb", work_dir / "month.duckdb"
    print(f"dbt benchmark: {args.days} days, {args.width} buckets, work folder {work_dir}", file=sys.stderr)
    try:
        with _launcher() as launcher, serve(sim) as server:
            bench = Bench(args, work_dir, server.base_url, sim.organizations[0], launcher)
            bench.load_history(f"load {args.days} days", year_db, args.days)
            bench.load_history(f"load {args.month_days} days", month_db, args.month_days)
            bench.record("dbt parse", bench.dbt(year_db, "parse", "--no-partial-parse"))
            bench.record(
                "dbt start-up (empty selection)",
                bench.dbt(year_db, "build", "--select", "tag:benchmark_selects_nothing"),
            )
            long, short = f"{args.days} days", f"{args.month_days} days"
            bench.record(f"dbt build --full-refresh ({long})", bench.dbt(year_db, "build", "--full-refresh"))
            if args.memory_limit:
                bench.record(
                    f"dbt build --full-refresh ({long}, memory_limit {args.memory_limit})",
                    bench.dbt(
                        year_db, "build", "--full-refresh",
                        profiles_dir=bench.bounded_profiles(args.memory_limit),
                    ),
                )  # fmt: skip
            bench.record(
                "dbt run: the two facts + parents",
                bench.dbt(
                    year_db, "run", "--full-refresh", "--select", "+fct_openai_cost", "+fct_openai_usage"
                ),
            )
            hand = bench.record("hand SQL: the two facts", bench.hand_sql(year_db))
            hand["note"] = f"{hand['rows']:,} fact rows, {_same_outputs(year_db)}"
            bench.record(
                f"dbt build --full-refresh ({short})", bench.dbt(month_db, "build", "--full-refresh")
            )
            sim.advance(days=1)
            for label, path in ((short, month_db), (long, year_db)):
                load = bench.record(f"daily: load one day ({label})", bench.load(path, sim.now, None))
                build = bench.record(f"daily: dbt build ({label})", bench.dbt(path, "build"))
                bench.results.append(
                    (
                        f"daily: load + dbt build ({label})",
                        {
                            "seconds": load["seconds"] + build["seconds"],
                            "peak_mb": max(load["peak_mb"], build["peak_mb"]),
                        },
                    )
                )
        _print_table(bench)
    finally:
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
