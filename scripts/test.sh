#!/usr/bin/env bash
# The README's test command: sets up .venv from pyproject.toml if needed, then runs the whole suite
# with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/pytest ] || ! .venv/bin/python -c "import confirma_async, pytest_asyncio, aioresponses, hypothesis" 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test,dev,cli,docs]'
fi
exec .venv/bin/python -W error -m pytest "$@"
