#!/usr/bin/env bash
# Install Debian's chromium for the report's browser tests (tests/report), when it is missing.
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root (or sudo) and the Debian mirror.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi
echo "Installing chromium from Debian packages..." >&2
"${sudo_cmd[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
/usr/bin/chromium --version >&2
