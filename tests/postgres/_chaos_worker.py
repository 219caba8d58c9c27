"""A bulk-job worker process for the chaos test.

``python _chaos_worker.py DSN JOB BASE_URL LEASE MAX_RETRIES CONCURRENCY CLAIM_SIZE TIMEOUT``
(``TIMEOUT``: the client's ``total_timeout`` in seconds); the API key
comes from ``CONFIRMA_API_KEY``. It works the job with ``BulkJob.work``, prints ``result N`` after
each result (so the test acts on progress, never on time) and ``total N`` at the end. A worker
that lost its lease (``JournalError``: it stopped sending, the others take over) prints ``lost``
and exits 3; one stopped by SIGINT (its work cancelled: it hands back what it never sent) prints
``interrupted`` and exits 130; anything else unexpected is a traceback and exit 1.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from confirma_async import ClientConfig, ConfirmaClient, JobStore, JournalError

LOST = 3
INTERRUPTED = 130


async def main(argv: list[str]) -> int:
    dsn, job_id, base_url, lease, max_retries, concurrency, claim_size, timeout = argv
    config = ClientConfig(
        backoff_base=0.0001,
        backoff_cap=0.0005,
        retry_after_cap=0.001,
        max_retries=int(max_retries),
        total_timeout=float(timeout),
        pool_timeout=0.2,
        connect_timeout=0.2,
    )
    done = 0

    def seen(_: Any) -> None:
        nonlocal done
        done += 1
        print(f"result {done}", flush=True)

    async with await JobStore.connect(dsn, pool_size=4) as store:
        job = await store.job(int(job_id))
        async with ConfirmaClient(
            api_key=os.environ["CONFIRMA_API_KEY"], base_url=base_url, config=config
        ) as client:
            try:
                summary = await job.work(
                    client,
                    concurrency=int(concurrency),
                    claim_size=int(claim_size),
                    lease=float(lease),
                    poll=0.05,
                    on_result=seen,
                )
            except JournalError:
                print("lost", flush=True)
                return LOST
    print(f"total {summary.total}", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(sys.argv[1:9])))
    except KeyboardInterrupt:  # SIGINT: the work was cancelled and stopped cleanly
        print("interrupted", flush=True)
        sys.exit(INTERRUPTED)
