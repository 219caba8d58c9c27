"""Four replica processes share one token through PostgreSQL: one renewal per expiry in total.

Each replica is a separate Python process (``benchmarks/_token_replica.py``) with its own client,
pool and listening connection, talking to the sandbox of this test process over 127.0.0.1. The
replicas say ``ready`` once attached; the test expires every token, says ``go``, and each fires 50
concurrent calls. Synchronised by pipes only; counted at the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from confirma_async.testing import Sandbox

REPLICA = Path(__file__).parents[2] / "benchmarks" / "_token_replica.py"

pytestmark = pytest.mark.slow


async def start_replicas(
    sb: Sandbox, dsn: str, processes: int, calls: int
) -> list[asyncio.subprocess.Process]:
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPLICA),
            sb.base_url,
            sb.client_token,
            sb.client_id,
            dsn,
            str(calls),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"ready"
    return procs


async def go(procs: list[asyncio.subprocess.Process]) -> list[dict[str, Any]]:
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    reports = []
    for proc in procs:
        assert proc.stdout is not None
        reports.append(json.loads(await proc.stdout.readline()))
    return reports


async def stop(procs: list[asyncio.subprocess.Process]) -> None:
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"quit\n")
        await proc.stdin.drain()
    assert [await proc.wait() for proc in procs] == [0] * len(procs)


async def test_four_replicas_times_fifty_calls_at_expiry_cost_one_renewal(
    postgres_dsn: str,
) -> None:
    async with Sandbox() as sb:
        procs = await start_replicas(sb, postgres_dsn, processes=4, calls=50)
        try:
            for expiry in (1, 2):  # and again with the renewed token
                sb.expire_tokens_at(sb.clock.now())
                reports = await go(procs)
                assert [r["errors"] for r in reports] == [[]] * 4
                assert sum(r["ok"] for r in reports) == 200
                assert sb.state.requests_received("GET", "/renew") == expiry
                assert sum(r["renewals"] for r in reports) == expiry
                # Every other replica took the new token from the store instead of renewing.
                assert sum(r["adoptions"] for r in reports) == 3 * expiry
        finally:
            await stop(procs)
