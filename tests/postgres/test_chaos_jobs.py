"""Chaos on the PostgreSQL job store: random faults, workers killed or frozen at random points.

Each seed draws the input and the fault rules of ``tests/chaos.py`` and a fate for each of two to
four worker processes (``_chaos_worker.py``): work to the end, be killed (SIGKILL) after k results,
or be frozen (SIGSTOP) after k results, so its lease runs out while it holds claims and the others
take them over, and thawed (SIGCONT) once they are done: it must then stop sending (its lease is
gone) without storing anything twice. Then, like an operator would, ``retry_failed`` and one more
worker, until every item is settled (faults stop after a few rounds, so every schedule ends).

What must hold, from the sandbox's own record and the job's rows: every invoice stored exactly
once with exactly its content; every item in a final state, the first of each number CREATED or
ALREADY_EXISTS and every repeat failed at load; the job's counts add up to the input; a CREATED
row is a 201 the sandbox sent.

The test acts on what the workers print (``result N``) and on their exits, never on time; the
lease only decides how soon the survivors take over. ``CONFIRMA_CHAOS_SEEDS=N`` reruns a seed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
from pathlib import Path

import pytest

from confirma_async import JobStore
from confirma_async.batch.invoices import _from_dict
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig

from ..chaos import Chaos, check_stored_exactly_once, draw, seeds
from .stores import fetch

FIRST = 840_000_001
WORKER = str(Path(__file__).with_name("_chaos_worker.py"))
REPO = str(Path(__file__).resolve().parents[2])
LEASE = 1.5  # seconds: short, so that frozen and killed workers' claims pass on soon
LOST = 3  # the worker's exit status when it lost its lease
MAX_ROUNDS = 8
CALM_AFTER = 3  # rounds of retries with faults; later ones meet none, so every schedule ends
PG_SEEDS = [7, 8, 9, 10]
EXITS: dict[int, int] = {}  # pid -> exit status, for the report printed at the end

Proc = asyncio.subprocess.Process


async def start_worker(dsn: str, job_id: int, sandbox: Sandbox, chaos: Chaos) -> Proc:
    env = {**os.environ, "CONFIRMA_API_KEY": sandbox.client_token, "PYTHONPATH": REPO}
    args = (dsn, job_id, sandbox.base_url, LEASE, chaos.config.max_retries, chaos.concurrency, 16)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        WORKER,
        *map(str, args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def results_reach(proc: Proc, k: int) -> bool:
    """Read ``proc``'s output until it reported ``k`` results (``True``) or ended (``False``)."""
    assert proc.stdout is not None
    while line := (await proc.stdout.readline()).decode():
        if line.startswith("result ") and int(line.split()[1]) >= k:
            return True
    return False


def send(proc: Proc, sig: signal.Signals) -> None:
    """Signal ``proc`` unless it has ended already.

    ``os.kill``, not ``send_signal``: that polls the process first, and a poll that reaps one
    which just exited leaves asyncio's child watcher an unknown child (exit status 255).
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, sig)


async def ended(proc: Proc, why: str) -> int:
    """Wait for a worker to end; it must end cleanly or stop because its lease was lost."""
    _, err = await proc.communicate()
    assert proc.returncode in (0, LOST), f"{why}: exit {proc.returncode}\n{err.decode()[-3000:]}"
    EXITS[proc.pid] = proc.returncode
    return proc.returncode


async def first_round(dsn: str, job_id: int, sandbox: Sandbox, chaos: Chaos) -> list[str]:
    """Two to four workers at once, some killed or frozen on the way; returns their fates."""
    rng = random.Random(f"workers-{chaos.seed}")
    fates = ["live"] + [rng.choice(("live", "kill", "stop")) for _ in range(rng.randint(1, 3))]
    rng.shuffle(fates)
    procs = [await start_worker(dsn, job_id, sandbox, chaos) for _ in fates]
    why = chaos.describe()
    frozen: list[Proc] = []
    try:

        async def meet(fate: str, proc: Proc) -> None:
            if fate == "live":
                await ended(proc, why)
                return
            if not await results_reach(proc, rng.randint(1, len(chaos.items) // 2)):
                await ended(proc, why)  # it ended before its fate came
                return
            if fate == "kill":
                send(proc, signal.SIGKILL)
                await proc.wait()
            else:
                send(proc, signal.SIGSTOP)
                frozen.append(proc)

        await asyncio.gather(*(meet(fate, proc) for fate, proc in zip(fates, procs, strict=True)))
        for proc in frozen:  # the others are done: its claims were taken over
            send(proc, signal.SIGCONT)
            await ended(proc, why)
    finally:
        for proc in procs:
            if proc.returncode is None:
                send(proc, signal.SIGCONT)
                send(proc, signal.SIGKILL)
                await proc.wait()
    return fates


async def item_rows(dsn: str, job_id: int) -> list[dict[str, object]]:
    rows = await fetch(
        dsn,
        "SELECT seq, key, state, error_type FROM confirma_job_items WHERE job_id = $1 ORDER BY seq",
        job_id,
    )
    return [dict(row) for row in rows]


def settled(chaos: Chaos, rows: list[dict[str, object]]) -> bool:
    """Every first occurrence CREATED or ALREADY_EXISTS; every repeat failed at load."""
    why = chaos.describe()
    assert len(rows) == len(chaos.items), why
    for index, row in enumerate(rows):
        assert row["seq"] == index, why
        if index != chaos.first_index(int(str(row["key"]))):
            assert (row["state"], row["error_type"]) == ("failed", "DuplicateInputError"), why
        elif row["state"] not in ("created", "already_exists"):
            return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("seed", seeds(PG_SEEDS), ids=lambda s: f"seed_{s}")
async def test_random_faults_kills_and_lost_leases_store_every_invoice_exactly_once(
    seed: int, postgres_dsn: str
) -> None:
    chaos = draw(seed, first_number=FIRST, size=(60, 150))
    why = chaos.describe()
    config = SandboxConfig(seed=seed, distribution_failure_rate=0)
    async with (
        Sandbox(config, clock=ManualClock()) as sandbox,
        await JobStore.connect(postgres_dsn) as store,
    ):
        for rule in chaos.faults:
            sandbox.faults.add(rule)
        job = await store.load(chaos.items)
        EXITS.clear()
        fates = await first_round(postgres_dsn, job.id, sandbox, chaos)
        for round_ in range(MAX_ROUNDS):
            if settled(chaos, await item_rows(postgres_dsn, job.id)):
                break
            if round_ == CALM_AFTER:
                sandbox.faults.clear()
            await job.retry_failed()
            await ended(await start_worker(postgres_dsn, job.id, sandbox, chaos), why)
        else:
            pytest.fail(f"{why}: not settled after {MAX_ROUNDS} rounds ({fates})")
        status = await job.status()
        rows = await item_rows(postgres_dsn, job.id)

    conflicts = sandbox.state.responses_sent("POST", "/invoice", status=409)
    print(
        f"{why}: fates {fates}, exits {sorted(EXITS.values())}, rounds {round_}, 409s {conflicts}"
    )
    print(f"{why}: faults fired {dict(sandbox.faults.fired)}")
    check_stored_exactly_once(chaos, sandbox)
    repeats = len(chaos.items) - len(chaos.first)
    assert (status.total, status.pending, status.in_progress) == (len(chaos.items), 0, 0), why
    assert (status.failed, status.outcome_unknown) == (repeats, 0), why
    assert status.created + status.already_exists == len(chaos.first), why
    assert status.created <= sandbox.state.responses_sent("POST", "/invoice", status=201), why
    for row in rows:  # the job's rows name exactly the input's numbers, each once unless repeated
        key = int(str(row["key"]))
        item = chaos.items[int(str(row["seq"]))]
        assert _from_dict(item) is not None, why
        assert key == item["invoice"]["header"]["number"], why
