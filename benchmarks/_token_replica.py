"""One replica of a service sharing its token through PostgreSQL (used by a test and a benchmark).

``python benchmarks/_token_replica.py BASE_URL TOKEN CLIENT_ID DSN CALLS`` builds a client on a
``PostgresTokenStore`` (DSN ``-``: no shared store, each replica on its own), makes one call
(which attaches it to the store) and prints ``ready``. Then, for every ``go`` line read on stdin,
it makes CALLS concurrent calls and prints one JSON line: ``{"ok": N, "errors": [...],
"renewals": N, "adoptions": N}`` (cumulative counters); ``quit`` ends.
The driver expires the token between ``ready`` and ``go``, so every call meets an expired token.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from typing import Any

from confirma_async import ClientConfig, ConfirmaClient, ConfirmaError
from confirma_async.postgres import PostgresTokenStore

DAY = date(2026, 1, 5)
CONFIG = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=4, pool_limit=64)


async def main(base_url: str, token: str, client_id: str, dsn: str, calls: int) -> None:
    store = None if dsn == "-" else await PostgresTokenStore.open(dsn)
    client = ConfirmaClient(
        api_key=token, base_url=base_url, config=CONFIG, client_id=client_id, token_store=store
    )
    try:
        await client.payments.payments_window(DAY, DAY)
        print("ready", flush=True)
        while (await asyncio.to_thread(sys.stdin.readline)).strip() == "go":
            outcomes = await asyncio.gather(
                *(client.payments.payments_window(DAY, DAY) for _ in range(calls)),
                return_exceptions=True,
            )
            errors = [repr(o) for o in outcomes if isinstance(o, ConfirmaError | Exception)]
            report = {
                "ok": len(outcomes) - len(errors),
                "errors": errors,
                "renewals": client.tokens.renewals,
                "adoptions": client.tokens.adoptions,
            }
            print(json.dumps(report), flush=True)
    finally:
        await client.aclose()
        if store is not None:
            await store.aclose()


# --- the driver's side (used by tests/postgres/test_token_replicas.py and bench_tokens.py) -------


async def start_replicas(
    sb: Any, dsn: str, processes: int, calls: int
) -> list[asyncio.subprocess.Process]:
    """Start ``processes`` replicas against the sandbox ``sb``; return once all are ready."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
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
    """Let every replica make its calls; their reports."""
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
    """Tell every replica to quit; check that each exited cleanly."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"quit\n")
        await proc.stdin.drain()
    assert [await proc.wait() for proc in procs] == [0] * len(procs)


if __name__ == "__main__":
    url, tok, cid, pg, n = sys.argv[1:6]
    asyncio.run(main(url, tok, cid, pg, int(n)))
