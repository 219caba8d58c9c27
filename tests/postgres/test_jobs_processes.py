"""Many worker processes over one job against the sandbox: exactly once through faults and SIGKILL.

The workers are separate Python processes (``_worker.py``) talking to the sandbox (served by this
test's event loop) over 127.0.0.1 and to a real PostgreSQL server. The test acts on what the
workers print (``done N``) and on process exits, never on time: the lease only decides how soon
the survivors take over the killed worker's claims.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from confirma_async import ConfirmaClient, JobStore
from confirma_async.testing import FaultRule, Sandbox, sample_invoice

from . import processes
from .processes import LOST, before_it_ends, ended, results_reach, send
from .stores import fetch

FIRST = 820_000_001
WORKER = str(Path(__file__).with_name("_worker.py"))
REPO = str(Path(__file__).resolve().parents[2])
LEASE = 6.0  # seconds: only how soon the survivors take over; generous for a loaded machine


def mixed_faults(method: str, path: str, rate: float = 0.10) -> list[FaultRule]:
    """``rate`` of the requests fail: 30 % 5xx, 30 % 429, 20 % drop, 20 % commit-then-drop."""
    rules, left = [], 1.0
    for kind, share in (("error", 0.3), ("rate_limit", 0.3), ("drop", 0.2), ("commit_drop", 0.2)):
        p = rate * share
        rules.append(FaultRule(kind=kind, method=method, path=path, rate=p / left))  # type: ignore[arg-type]
        left -= p
    return rules


async def start_worker(
    dsn: str, job_id: int, sandbox: Sandbox, lease: float
) -> asyncio.subprocess.Process:
    env = {**os.environ, "CONFIRMA_API_KEY": sandbox.client_token, "PYTHONPATH": REPO}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        WORKER,
        dsn,
        str(job_id),
        sandbox.base_url,
        str(lease),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )


async def finish(proc: asyncio.subprocess.Process) -> int:
    """Wait for a worker to end cleanly; return how many items it finished."""
    assert proc.stdout is not None
    lines = (await proc.stdout.read()).decode().split()
    assert await proc.wait() == 0
    return int(lines[lines.index("total") + 1])


@pytest.mark.slow
async def test_four_workers_and_a_sigkill_leave_every_invoice_stored_exactly_once(
    postgres_dsn: str, confirma_sandbox: Sandbox
) -> None:
    sandbox, total = confirma_sandbox, 20_000
    for rule in mixed_faults("POST", "/invoice") + mixed_faults("GET", "/invoice/distribution"):
        sandbox.faults.add(rule)
    async with await JobStore.connect(postgres_dsn) as store:
        job = await store.load(
            sample_invoice(FIRST + i, payment_control=False) for i in range(total)
        )
        workers = [await start_worker(postgres_dsn, job.id, sandbox, lease=LEASE) for _ in range(4)]

        doomed = workers.pop(0)  # killed once it reported 1,000 results, mid-run
        assert doomed.stdout is not None
        while int((await doomed.stdout.readline()).split()[1]) < 1_000:
            pass
        doomed.send_signal(signal.SIGKILL)
        assert await doomed.wait() == -signal.SIGKILL
        workers.append(await start_worker(postgres_dsn, job.id, sandbox, lease=LEASE))  # a late one

        finished = [await finish(proc) for proc in workers]
        status = await job.status()

    # Every invoice on the server exactly once; every item has its final state.
    accepted = sandbox.state.accepted_counts()
    assert accepted == {FIRST + i: 1 for i in range(total)}
    assert (status.total, status.pending, status.in_progress, status.failed) == (total, 0, 0, 0)
    # The job's summary matches the server's count.
    assert status.created + status.already_exists == total == sum(accepted.values())
    # Nothing was re-sent blind: the sandbox never had to answer 409 ...
    assert sandbox.state.responses_sent("POST", "/invoice", status=409) == 0
    # ... and what the killed worker held was taken over and looked up first.
    taken_over = await fetch(
        postgres_dsn,
        "SELECT count(*) AS n, count(*) FILTER (WHERE lookups = 0) AS unchecked "
        "FROM confirma_job_items WHERE job_id = $1 AND claims > 1",
        job.id,
    )
    assert taken_over[0]["n"] > 0
    assert taken_over[0]["unchecked"] == 0
    assert finished[-1] > 0  # the late worker did its share
    assert sum(finished) < total  # the rest: written by the killed one before it died
    fired = sandbox.faults.fired
    assert min(fired["error"], fired["rate_limit"], fired["drop"], fired["commit_drop"]) > 50


@pytest.mark.slow
async def test_a_worker_frozen_past_its_lease_says_it_lost_the_lease_when_it_wakes(
    postgres_dsn: str, confirma_sandbox: Sandbox, confirma_client: ConfirmaClient
) -> None:
    sandbox, first = confirma_sandbox, FIRST + 100_000
    async with await JobStore.connect(postgres_dsn) as store:
        job = await store.load(sample_invoice(first + i, payment_control=False) for i in range(8))
        with sandbox.faults.hold("POST", "/invoice") as held:
            frozen = await processes.start_worker(
                postgres_dsn, job.id, sandbox, lease=1.0, claim_size=8, total_timeout=60.0
            )
            # It holds all 8 claims, every upload in flight.
            await before_it_ends(frozen, held.wait_held(8))
            held.release(1)
            assert await results_reach(frozen, 1)  # one answered, seven still held
            send(frozen, signal.SIGSTOP)
        # The seven are applied now, answered into the sockets of a stopped process.
        try:  # another worker takes its items over once its lease has run out
            await job.work(confirma_client, concurrency=8, poll=0.01)
        finally:
            send(frozen, signal.SIGCONT)
        # Nothing is left for it to send when it wakes; it must still report the lost lease
        # (exit 1 from ``confirma jobs work``) rather than a normal end.
        assert await ended(frozen) == LOST
        status = await job.status()
    assert sandbox.state.accepted_counts() == {first + i: 1 for i in range(8)}
    assert status.created + status.already_exists == 8 == status.done
