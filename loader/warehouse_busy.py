"""Exit 3 when a loader is writing the warehouse, naming it; scripts/dbt.sh runs this before dbt.

DuckDB lets one process write a file: `dbt build` while `python -m loader` loads ends in
DuckDB's "Could not set lock on file" error, which names neither the loader nor what to do. The
loader holds its pipeline lock for the whole run, so this check says so first.

    python -m loader.warehouse_busy
"""

from __future__ import annotations

import sys

from loader.pipeline import lock_holder
from loader.settings import PIPELINE_NAME, duckdb_path_from_env, pipelines_dir_from_env


def busy_message() -> str | None:
    holder = lock_holder(pipelines_dir_from_env(), PIPELINE_NAME)
    if holder is None:
        return None
    return (
        f"warehouse busy: a loader ({holder}) is loading {duckdb_path_from_env()}; DuckDB lets one "
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
