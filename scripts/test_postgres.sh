#!/usr/bin/env bash
# The PostgreSQL suite: start a throwaway PostgreSQL 15 on loopback (scripts/postgres.sh), run
# `pytest -m postgres` against it, and stop the server whatever happens. scripts/test.sh calls this
# after the DuckDB suite; run it alone the same way: scripts/test_postgres.sh [pytest args]
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
pytest_bin=${PYTEST:-$repo_root/.venv/bin/pytest}
[[ -x $pytest_bin ]] || pytest_bin=pytest

trap '"$repo_root/scripts/postgres.sh" stop' EXIT
exports=$("$repo_root/scripts/postgres.sh" start)
eval "$exports"
echo "==> pytest -m postgres (PostgreSQL on $OPENAI_FINOPS_PG_HOST:$OPENAI_FINOPS_PG_PORT)"
# A later -m replaces pyproject's `-m 'not postgres'`.
"$pytest_bin" -m postgres tests/postgres "$@"
