"""A bulk-job worker for ``bench_jobs.py``: ``_jobs_worker.py DSN JOB BASE_URL CONC CLAIM``.

The API key comes from ``CONFIRMA_API_KEY``. Works the job with ``BulkJob.work`` and prints one
line: ``items cpu_seconds last_result`` (this process's CPU time spent working, imports and setup
excluded; the wall-clock time, ``time.time()``, of its last result).
It prints ``ready`` once connected and waits for a line on stdin before it starts, so that every
worker of a run starts at the same moment.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time

from confirma_async import ConfirmaClient, JobStore


async def main(dsn: str, job_id: int, base_url: str, concurrency: int, claim: int) -> None:
    async with await JobStore.connect(dsn) as store:
        job = await store.job(job_id)
        async with ConfirmaClient(api_key=os.environ["CONFIRMA_API_KEY"], base_url=base_url) as c:
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            started = time.process_time()
            last = [0.0]
            summary = await job.work(
                c,
                concurrency=concurrency,
                claim_size=claim,
                flush_size=2 * claim,
                poll=0.5,
                on_result=lambda _: last.__setitem__(0, time.time()),
            )
            cpu = time.process_time() - started
    print(summary.total, cpu, last[0], flush=True)


if __name__ == "__main__":
    gc.freeze()  # the imports' objects: never scanned again
    dsn, job, url, conc, claim = sys.argv[1:6]
    asyncio.run(main(dsn, int(job), url, int(conc), int(claim)))
