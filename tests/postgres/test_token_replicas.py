"""Four replica processes share one token through PostgreSQL: one renewal per expiry in total.

Each replica is a separate Python process (``benchmarks/_token_replica.py``) with its own client,
pool and listening connection, talking to the sandbox of this test process over 127.0.0.1. The
replicas say ``ready`` once attached; the test expires every token, says ``go``, and each fires 50
concurrent calls. Synchronised by pipes only; counted at the sandbox.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from confirma_async.testing import Sandbox

_spec = importlib.util.spec_from_file_location(
    "_token_replica", Path(__file__).parents[2] / "benchmarks" / "_token_replica.py"
)
assert _spec is not None
assert _spec.loader is not None
replica = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(replica)

pytestmark = pytest.mark.slow


async def test_four_replicas_times_fifty_calls_at_expiry_cost_one_renewal(
    postgres_dsn: str,
) -> None:
    async with Sandbox() as sb:
        procs = await replica.start_replicas(sb, postgres_dsn, processes=4, calls=50)
        try:
            for expiry in (1, 2):  # and again with the renewed token
                sb.expire_tokens_at(sb.clock.now())
                reports = await replica.go(procs)
                assert [r["errors"] for r in reports] == [[]] * 4
                assert sum(r["ok"] for r in reports) == 200
                assert sb.state.requests_received("GET", "/renew") == expiry
                assert sum(r["renewals"] for r in reports) == expiry
                # Every other replica took the new token from the store instead of renewing.
                assert sum(r["adoptions"] for r in reports) == 3 * expiry
        finally:
            await replica.stop(procs)
