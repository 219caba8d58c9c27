#!/usr/bin/env bash
# The README's test command: sets up .venv from pyproject.toml if needed, then runs the whole suite
# with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
exec .venv/bin/python -W error -m pytest "$@"
