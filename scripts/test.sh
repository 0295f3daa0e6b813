#!/usr/bin/env bash
# Install everything, then run every linter and test. CI (.ci/run) calls exactly this.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

echo "==> ruff"
ruff check .
ruff format --check .
echo "==> sqlfluff"
# The dbt templater opens a DuckDB connection: give it a scratch file, not the warehouse.
OPENAI_FINOPS_DUCKDB=$(mktemp -d)/lint.duckdb sqlfluff lint models macros tests/dbt
echo "==> chromium (for the report's browser test)"
"$repo_root/scripts/install_chromium.sh"
echo "==> pytest"
pytest "$@"
echo "==> PostgreSQL suite (the same loader and models on a second engine)"
"$repo_root/scripts/test_postgres.sh"
