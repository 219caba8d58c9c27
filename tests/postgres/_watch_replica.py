"""One replica watching a distribution stream under a PostgreSQL lease (run by a test).

``python tests/postgres/_watch_replica.py NAME BASE_URL TOKEN DSN LEASE_SECONDS`` prints ``ready``,
then one JSON line per handled record: ``[name, epoch, invoice_number, status]``. Handling a
record is printing it (flushed into the pipe), so a record printed is a record handled.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, date, datetime, timedelta

from confirma_async import ClientConfig, ConfirmaClient
from confirma_async.postgres import PostgresCoordination

SINCE = date(2025, 12, 27)
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)  # the sandbox's ManualClock day
CONFIG = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=4)


async def main(name: str, base_url: str, token: str, dsn: str, lease: float) -> None:
    coordination = await PostgresCoordination.open(dsn, lease=lease)
    try:
        async with ConfirmaClient(api_key=token, base_url=base_url, config=CONFIG) as client:
            watcher = client.invoices.watch_distributions(
                since=SINCE,
                interval=0.1,
                lookback=timedelta(days=30),
                clock=lambda: NOW,
                coordination=coordination,
                stream="replicas-test",
            )
            print("ready", flush=True)
            async with watcher:
                async for record in watcher:
                    lease_now = watcher._leased.lease if watcher._leased else None
                    epoch = lease_now.epoch if lease_now else 0
                    line = [name, epoch, record.invoice_number, str(record.distribution_status)]
                    print(json.dumps(line), flush=True)
    finally:
        await coordination.aclose()


if __name__ == "__main__":
    n, url, tok, pg, seconds = sys.argv[1:6]
    asyncio.run(main(n, url, tok, pg, float(seconds)))
