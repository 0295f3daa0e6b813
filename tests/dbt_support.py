"""dbt's command line for the suite's warehouses: they hold the simulated organizations, so they
build with the demo's seeds (var `demo`, seeds/demo/), as ./scripts/demo.sh does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEMO_VARS = {"demo": True}


def with_demo_vars(args: Sequence[str]) -> list[str]:
    """`args` with the demo var added to their --vars (JSON), or a --vars of its own."""
    args = list(args)
    if "--vars" not in args:
        return [*args, "--vars", json.dumps(DEMO_VARS)]
    position = args.index("--vars") + 1
    args[position] = json.dumps(DEMO_VARS | json.loads(args[position]))
    return args


def dbt_env(duckdb_path: Path, work_dir: Path) -> dict[str, str]:
    """Environment for dbt (and the loader) on a warehouse of a test's own, with the example profile."""
    profiles_dir = work_dir / "profiles"
    profiles_dir.mkdir(exist_ok=True)
    shutil.copy(REPO_ROOT / "profiles.example.yml", profiles_dir / "profiles.yml")
    env = dict(os.environ)
    env.update(
        OPENAI_FINOPS_DUCKDB=str(duckdb_path),
        DBT_PROFILES_DIR=str(profiles_dir),
        DBT_TARGET_PATH=str(work_dir / "target"),
        DBT_LOG_PATH=str(work_dir / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        RUNTIME__DLTHUB_TELEMETRY="false",
    )
    return env


def build_surfaces(duckdb_path: Path, work_dir: Path, models: Sequence[str]) -> None:
    """Build models of models/surfaces over marts a test wrote itself, as `dbt build` would."""
    dbt_bin = str(Path(sys.executable).with_name("dbt"))
    done = subprocess.run(
        [dbt_bin, "run", "--select", *models, *with_demo_vars([])],
        cwd=REPO_ROOT,
        env=dbt_env(duckdb_path, work_dir),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:]
