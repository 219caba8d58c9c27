"""One replica of a service sharing its token through PostgreSQL (used by a test and a benchmark).

``python benchmarks/_token_replica.py BASE_URL TOKEN CLIENT_ID DSN CALLS`` builds a client on a
``PostgresTokenStore``, makes one call (which attaches it to the store) and prints ``ready``. Then,
for every ``go`` line read on stdin, it makes CALLS concurrent calls and prints one JSON line:
``{"ok": N, "errors": [...], "renewals": N, "adoptions": N}`` (cumulative counters); ``quit`` ends.
The driver expires the token between ``ready`` and ``go``, so every call meets an expired token.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date

from confirma_async import ClientConfig, ConfirmaClient, ConfirmaError
from confirma_async.postgres import PostgresTokenStore

DAY = date(2026, 1, 5)
CONFIG = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=4, pool_limit=64)


async def main(base_url: str, token: str, client_id: str, dsn: str, calls: int) -> None:
    store = await PostgresTokenStore.open(dsn)
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
                "errors": errors[:5],
                "renewals": client.tokens.renewals,
                "adoptions": client.tokens.adoptions,
            }
            print(json.dumps(report), flush=True)
    finally:
        await client.aclose()
        await store.aclose()


if __name__ == "__main__":
    url, tok, cid, pg, n = sys.argv[1:6]
    asyncio.run(main(url, tok, cid, pg, int(n)))
