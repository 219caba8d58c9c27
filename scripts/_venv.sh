# Sourced by the README's commands: make sure .venv exists with the project installed from
# pyproject.toml (all extras), creating it on a fresh machine.
if [ ! -x .venv/bin/confirma ] || ! .venv/bin/python -c "import confirma_async, pytest_asyncio, aioresponses, hypothesis, click, rich, asyncpg, opentelemetry.sdk, trustme, hatchling" 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test,dev,cli,docs,otel,pytest]'
fi
