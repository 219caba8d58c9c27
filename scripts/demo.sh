#!/usr/bin/env bash
# The README's main command: sets up .venv from pyproject.toml if needed, then runs `confirma demo`
# against the embedded local sandbox (no credentials, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
exec .venv/bin/confirma demo "$@"
