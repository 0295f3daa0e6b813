"""The answers of the dbt project on six simulator seeds, kept in tests/answers/ to compare with.

A refactoring of the models must not change what they answer. The simulated organizations of
each seed of SEEDS (fixed clock, HISTORY_DAYS of history) are loaded and every model is built;
the snapshot is then
- every anomaly flag of marts.mart_spend_anomalies: day, level, series, type, direction, rule and
  severity, in full;
- every other table of the schemas `marts` and `surfaces`: its row count and a digest of its
  rows (columns by name, rows sorted, numbers to the cent, JSON with sorted keys), without the
  columns that say when a row was loaded or built.
All seeds go into one warehouse (their organizations' ids differ, and every model computes per
organization), so one `dbt run` answers for all. The answers of the models as they were are in
tests/answers/<engine>.json (engines differ in the last digits of double precision, which a
cent can round either way, so each has its own).

    .venv/bin/python tests/answers_support.py --engine duckdb --write    # after an intended change
    .venv/bin/python tests/answers_support.py --engine duckdb            # compare, as the tests do

PostgreSQL needs a server: `source scripts/postgres.sh start` exports its settings.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tests"))

from dbt_support import with_demo_vars  # noqa: E402
from postgres_support import pg_admin, pg_connect, pg_settings  # noqa: E402

SEEDS = (7, 11, 13, 17, 19, 23)
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
HISTORY_DAYS = 90
ANSWERS_DIR = REPO_ROOT / "tests" / "answers"
SCHEMAS = ("marts", "surfaces")
FLAG_COLUMNS = (
    "spend_date",
    "series_level",
    "series_id",
    "anomaly_type",
    "direction",
    "detection_rule",
    "severity",
)
# When a row was loaded or built: different on every run, not part of the answer.
VOLATILE_COLUMNS = {"x_loadedat", "loaded_at", "built_at", "_dlt_load_id", "x_builtat"}
CENT = Decimal("0.01")
NOISE = Decimal("1e-9")


def _normalize(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal | int):
        return str(Decimal(value).quantize(NOISE, ROUND_HALF_EVEN).quantize(CENT, ROUND_HALF_EVEN) + 0)
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return str(value)


class Reader:
    """Rows of the built warehouse, on either engine."""

    def __init__(self, engine: str, duckdb_path: Path, pg: dict[str, str] | None, database: str):
        self.engine = engine
        if engine == "duckdb":
            import duckdb

            self._con = duckdb.connect(str(duckdb_path), read_only=True)
        else:
            self._con = pg_connect(pg, database)

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        cursor = self._con.cursor()
        cursor.execute(sql)
        columns = [column[0].lower() for column in cursor.description]
        return columns, cursor.fetchall()

    def close(self) -> None:
        self._con.close()


def snapshot(reader: Reader) -> dict[str, Any]:
    schemas = ", ".join(f"'{schema}'" for schema in SCHEMAS)
    _, tables = reader.query(
        "select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({schemas}) order by 1, 2"
    )
    digests = {}
    for schema, table in tables:
        if "__" in table:  # dbt's temporary relations, the old anomaly side table
            continue
        columns, rows = reader.query(f'select * from {schema}."{table}"')
        keep = sorted((name, index) for index, name in enumerate(columns) if name not in VOLATILE_COLUMNS)
        lines = sorted(json.dumps([_normalize(row[index]) for _, index in keep]) for row in rows)
        digest = hashlib.sha256("\n".join([json.dumps([n for n, _ in keep]), *lines]).encode())
        digests[f"{schema}.{table}"] = {"rows": len(rows), "sha256": digest.hexdigest()}
    _, flags = reader.query(
        f"select {', '.join(FLAG_COLUMNS)} from marts.mart_spend_anomalies order by 1, 2, 3"
    )
    return {
        "anomaly_flags": [dict(zip(FLAG_COLUMNS, map(_normalize, flag), strict=True)) for flag in flags],
        "tables": digests,
    }


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What differs, one line each: flags gained or lost, tables whose rows differ."""
    lines = []
    as_key = lambda flag: json.dumps(flag, sort_keys=True)  # noqa: E731
    before = {as_key(flag) for flag in expected["anomaly_flags"]}
    after = {as_key(flag) for flag in actual["anomaly_flags"]}
    lines += [f"flag lost: {flag}" for flag in sorted(before - after)]
    lines += [f"flag new: {flag}" for flag in sorted(after - before)]
    for table in sorted(set(expected["tables"]) | set(actual["tables"])):
        was, now = expected["tables"].get(table), actual["tables"].get(table)
        if was != now:
            lines.append(f"{table}: expected {was}, got {now}")
    return lines


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def build_seeds(engine: str, seeds: Sequence[int], work_dir: Path) -> dict[str, Any]:
    """Load every seed's organizations into one warehouse in `work_dir` (each seed from a simulator
    of its own; their organization ids differ), build every model, snapshot it."""
    from loader.pipeline import run_load
    from loader.settings import LoaderSettings, Organization
    from openai_simulator import Simulator, SimulatorConfig, serve

    # A fresh folder: a pipeline state left by an earlier run would make the loader skip days.
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    profiles_dir = work_dir / "profiles"
    profiles_dir.mkdir()
    shutil.copy(REPO_ROOT / "profiles.example.yml", profiles_dir / "profiles.yml")
    duckdb_path = work_dir / "openai_finops.duckdb"
    database = f"openai_finops_answers_{os.getpid()}"
    pg = pg_settings() if engine == "postgres" else None
    env = dict(os.environ) | {
        "OPENAI_FINOPS_DUCKDB": str(duckdb_path),
        "OPENAI_FINOPS_PG_DATABASE": database,
        "DBT_PROFILES_DIR": str(profiles_dir),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    loader_env = {"RUNTIME__DLTHUB_TELEMETRY": "false"}
    if pg:
        pg_admin(pg, f"drop database if exists {database} with (force)", f"create database {database}")
        loader_env["DESTINATION__POSTGRES__CREDENTIALS"] = (
            f"postgresql://{pg['user']}:{pg['password'] or 'unused'}@{pg['host']}:{pg['port']}/{database}"
        )
    try:
        for seed in seeds:
            sim = Simulator(SimulatorConfig(seed=seed, now=NOW, history_days=HISTORY_DAYS))
            with serve(sim) as server, _environ(**loader_env):
                settings = LoaderSettings(
                    organizations=tuple(
                        Organization(org.org_id, org.org_id, org.admin_key) for org in sim.organizations
                    ),
                    base_url=server.base_url,
                    destination=engine,
                    prefer_parquet=engine == "duckdb",
                    duckdb_path=duckdb_path,
                    pipelines_dir=work_dir / f"pipelines_{seed}",
                    now=sim.now,
                    backfill_days=HISTORY_DAYS,
                )
                result = run_load(settings)
                if not (result.ok and result.loaded):
                    raise RuntimeError(f"seed {seed}: load failed: {result.report.failures}")
        dbt_bin = str(Path(sys.executable).with_name("dbt"))
        for command in (["seed"], ["run"]):
            done = subprocess.run(
                [dbt_bin, *with_demo_vars(command), "--target", engine],
                cwd=REPO_ROOT,
                env=env,
                text=True,
                capture_output=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"dbt {command[0]} failed:\n{done.stdout[-6000:]}")
        reader = Reader(engine, duckdb_path, pg, database)
        try:
            return snapshot(reader)
        finally:
            reader.close()
    finally:
        if pg:
            pg_admin(pg, f"drop database if exists {database} with (force)")


def answers_path(engine: str) -> Path:
    return ANSWERS_DIR / f"{engine}.json"


def check(engine: str, work_dir: Path) -> list[str]:
    """What differs between the answers of the current models and the kept ones."""
    expected = json.loads(answers_path(engine).read_text())
    actual = build_seeds(engine, SEEDS, work_dir / "warehouse")
    # Kept beside the warehouse, to compare by hand when they differ.
    (work_dir / "answers.json").write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    return differences(expected, actual)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("duckdb", "postgres"), default="duckdb")
    parser.add_argument("--write", action="store_true", help="write the answers instead of comparing")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/openai_finops_answers"))
    args = parser.parse_args(argv)
    if args.write:
        actual = build_seeds(args.engine, SEEDS, args.work_dir / args.engine)
        path = answers_path(args.engine)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
        flags, tables = len(actual["anomaly_flags"]), len(actual["tables"])
        print(f"seeds {', '.join(map(str, SEEDS))}: {flags} flags, {tables} tables -> {path}")
        return 0
    lines = check(args.engine, args.work_dir / args.engine)
    print("unchanged" if not lines else "\n".join(["changed:", *lines]))
    return 1 if lines else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:  # no server, a failed load or dbt run: say it, no traceback
        print(f"answers_support: error: {error}", file=sys.stderr)
        sys.exit(2)
