#!/usr/bin/env bash
# The main job end to end on the embedded default: start the simulated OpenAI organization on a
# free loopback port, load it into a DuckDB file of its own (warehouse/demo.duckdb, never the real
# warehouse/openai_finops.duckdb), build the dbt models with the demo's seeds, print a summary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
export OPENAI_FINOPS_DUCKDB=${OPENAI_FINOPS_DUCKDB:-warehouse/demo.duckdb}
mkdir -p "$(dirname "$OPENAI_FINOPS_DUCKDB")"

echo "==> Loading the simulated OpenAI organizations into $OPENAI_FINOPS_DUCKDB"
python -m loader --demo
echo "==> dbt build"
dbt build --quiet --vars '{demo: true}' --warn-error-options '{"error": ["NoNodesForSelectionCriteria"]}'
echo "==> Summary"
python -m loader summary
echo "==> Spend report"
python -m loader report
