"""Fixtures shared by the whole suite.

`demo_warehouse` runs the main job once per test session, exactly as the README's main command
does (`python -m loader --demo`, then `dbt build`), into a DuckDB file of its own, so dbt-level
tests (FOCUS export, reconciliation) read real loaded data and never touch the user's warehouse.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dbt_support import dbt_env, with_demo_vars

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DemoWarehouse:
    duckdb_path: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command from the repository root against this warehouse."""
        return subprocess.run(
            list(args), cwd=REPO_ROOT, env=self.env, text=True, capture_output=True, check=check
        )

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        dbt_bin = str(Path(sys.executable).with_name("dbt"))
        return self.run(dbt_bin, *with_demo_vars(args), check=check)

    def copy_to(self, work_dir: Path) -> DemoWarehouse:
        """A copy of this warehouse in `work_dir`, for a test that changes it."""
        work_dir.mkdir(parents=True, exist_ok=True)
        duckdb_path = work_dir / self.duckdb_path.name  # same name: views name the catalog
        shutil.copy(self.duckdb_path, duckdb_path)
        env = self.env | {
            "OPENAI_FINOPS_DUCKDB": str(duckdb_path),
            "DBT_TARGET_PATH": str(work_dir / "target"),
            "DBT_LOG_PATH": str(work_dir / "logs"),
        }
        return DemoWarehouse(duckdb_path, env)


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWarehouse]:
    work_dir = tmp_path_factory.mktemp("demo_warehouse")
    duckdb_path = work_dir / "openai_finops.duckdb"
    warehouse = DemoWarehouse(duckdb_path, dbt_env(duckdb_path, work_dir))
    load = warehouse.run(sys.executable, "-m", "loader", "--demo", "--quiet", check=False)
    assert load.returncode == 0, f"demo load failed:\n{load.stdout}\n{load.stderr}"
    build = warehouse.dbt("build", check=False)
    assert build.returncode == 0, f"dbt build failed:\n{build.stdout[-6000:]}\n{build.stderr[-3000:]}"
    yield warehouse
