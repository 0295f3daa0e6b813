#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install everything into it.
# Sourced by scripts/demo.sh and scripts/test.sh, so both work from a fresh clone.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

python_bin=${OPENAI_FINOPS_PYTHON:-python3}
if ! "$python_bin" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    echo "openai-finops needs Python 3.11 or newer; set OPENAI_FINOPS_PYTHON to one." >&2
    exit 2
fi
if [[ ! -x .venv/bin/python ]]; then
    "$python_bin" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [[ ! -f $stamp ]]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# dbt reads profiles.yml from DBT_PROFILES_DIR; the committed example is the default profile.
[[ -f profiles.yml ]] || cp profiles.example.yml profiles.yml
export DBT_PROFILES_DIR=$repo_root
# No telemetry, no update checks: nothing may depend on reaching the network.
export DO_NOT_TRACK=1 DBT_SEND_ANONYMOUS_USAGE_STATS=false RUNTIME__DLTHUB_TELEMETRY=false
export PATH=$repo_root/.venv/bin:$PATH
