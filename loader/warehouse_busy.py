"""Exit 3 when a loader is writing the warehouse, naming it; scripts/dbt.sh runs this before dbt.

DuckDB lets one process write a file: `dbt build` while `python -m loader` loads ends in
DuckDB's "Could not set lock on file" error, which names neither the loader nor what to do. The
loader holds its pipeline lock for the whole run, so this check says so first.

    python -m loader.warehouse_busy
"""

from __future__ import annotations

import sys

from loader.pipeline import lock_holder
from loader.settings import DEMO_PIPELINE_NAME, PIPELINE_NAME, duckdb_path_from_env, pipelines_dir_from_env


def busy_message() -> str | None:
    warehouse = duckdb_path_from_env()
    # The demo's loader writes dbt's warehouse only when OPENAI_FINOPS_DUCKDB names it for both.
    demo_writes_it = duckdb_path_from_env(demo=True) == warehouse
    names = (PIPELINE_NAME, DEMO_PIPELINE_NAME) if demo_writes_it else (PIPELINE_NAME,)
    pipelines_dir = pipelines_dir_from_env()
    holder = next((h for name in names if (h := lock_holder(pipelines_dir, name)) is not None), None)
    if holder is None:
        return None
    return (
        f"warehouse busy: a loader ({holder}) is loading {warehouse}; DuckDB lets one "
        "process write the file, so dbt would fail. Run dbt when the load ends (a daily cron: "
        "`python -m loader && scripts/dbt.sh build`), or load into PostgreSQL, which has no such limit"
    )


def main() -> int:
    message = busy_message()
    if message is None:
        return 0
    print(message, file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
