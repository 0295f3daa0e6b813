#!/usr/bin/env bash
# The main job end to end on the embedded default: start the simulated OpenAI organization on a
# free loopback port, load it into DuckDB, build the dbt models, print a summary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
export OPENAI_FINOPS_DUCKDB=${OPENAI_FINOPS_DUCKDB:-warehouse/openai_finops.duckdb}
mkdir -p "$(dirname "$OPENAI_FINOPS_DUCKDB")"

echo "==> Loading the simulated OpenAI organizations into $OPENAI_FINOPS_DUCKDB"
python -m loader --demo
echo "==> dbt build"
dbt build --quiet --warn-error-options '{"error": ["NoNodesForSelectionCriteria"]}'
echo "==> Summary"
python -m loader.marts_summary
echo "==> Spend report"
python -m loader report
