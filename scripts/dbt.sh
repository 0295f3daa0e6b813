#!/usr/bin/env bash
# dbt on the project's environment, after checking that no loader is writing the DuckDB warehouse
# (exit 3 naming the loader's pid and start time). Arguments go to dbt: scripts/dbt.sh build
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
python -m loader.warehouse_busy
exec dbt "$@"
