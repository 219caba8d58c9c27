"""Shared test configuration."""

from __future__ import annotations

import inspect
import os
import signal
import uuid
from collections.abc import Iterator
from typing import Any
from unittest.mock import Mock

import aiohttp
import aioresponses.core
import pytest

from confirma_async.testing._postgres import ThrowawayPostgres, find_postgres_bindir

# --- SHIM: aioresponses 0.7.9 vs aiohttp >= 3.14 -------------------------------------------------
# aiohttp 3.14 added a required ``stream_writer`` argument to ClientResponse.__init__, which
# aioresponses 0.7.9 does not pass (pnuckowski/aioresponses#289, fix in PR #288, unreleased).
# Give aioresponses a ClientResponse subclass that defaults it -- only when aiohttp's signature
# asks for it, so this shim does nothing once aioresponses is fixed or aiohttp changes again.
# Remove it when an aioresponses release includes the fix.
if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:

    class _ShimClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", Mock(output_size=0))
            super().__init__(*args, **kwargs)

    aioresponses.core.ClientResponse = _ShimClientResponse  # type: ignore[misc]
# --- END SHIM -------------------------------------------------------------------------------------


# --- PostgreSQL: one throwaway server per test session, a fresh database per test -----------------
IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL server on 127.0.0.1 for this test session (skips without the binaries)."""
    bindir = find_postgres_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries on this machine (initdb/pg_ctl)")
    # ``timeout`` and CI runners stop a run with SIGTERM: make it unwind (fixture teardown and
    # atexit run) so the server is stopped instead of outliving the run.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with ThrowawayPostgres(bindir=bindir) as server:
            yield server
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@pytest.fixture
def postgres_dsn(postgres_server: ThrowawayPostgres) -> Iterator[str]:
    """The connection string of a fresh, empty database, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    dsn = postgres_server.create_database(name)
    yield dsn
    postgres_server.drop_database(name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under ``CI=true`` a skipped test is a failure: CI must run everything it claims to test."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under CI=true (a skip is a failure in CI): {reason}"
