"""A bulk-job worker process for the tests: ``python _worker.py DSN JOB BASE_URL LEASE``.

The API key comes from ``CONFIRMA_API_KEY``. It works the job with ``BulkJob.work`` and a client
with a tiny backoff, prints ``done N`` every 250 results (so a test can act on progress, not on
time) and ``total N`` at the end.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from confirma_async import ClientConfig, ConfirmaClient, JobStore

FAST = ClientConfig(
    backoff_base=0.0001, backoff_cap=0.0005, retry_after_cap=0.001, max_retries=8, pool_limit=100
)


async def main(dsn: str, job_id: int, base_url: str, lease: float) -> int:
    done = 0

    def seen(_: Any) -> None:
        nonlocal done
        done += 1
        if done % 250 == 0:
            print(f"done {done}", flush=True)

    key = os.environ["CONFIRMA_API_KEY"]
    async with await JobStore.connect(dsn) as store:
        job = await store.job(job_id)
        async with ConfirmaClient(api_key=key, base_url=base_url, config=FAST) as client:
            summary = await job.work(
                client, concurrency=32, claim_size=128, lease=lease, poll=0.05, on_result=seen
            )
    print(f"total {summary.total}", flush=True)
    return 0


if __name__ == "__main__":
    dsn, job, url, lease = sys.argv[1:5]
    sys.exit(asyncio.run(main(dsn, int(job), url, float(lease))))
