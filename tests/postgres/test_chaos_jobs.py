"""Chaos on the PostgreSQL job store: random faults, workers killed or frozen at random points.

Each seed draws the input and the fault rules of ``tests/chaos.py`` and a fate for each of two to
four worker processes (``_chaos_worker.py``): work to the end, be killed (SIGKILL) after k results,
be interrupted (SIGINT: a clean stop that hands back what it never sent) after k results, or be
frozen (SIGSTOP) after k results, so its lease runs out while it holds claims and the others
take them over, and thawed (SIGCONT) once they are done: it must then stop sending (its lease is
gone) without storing anything twice. Then, like an operator would, ``retry_failed`` and one more
worker, until every item is settled (faults stop after a few rounds, so every schedule ends).

What must hold, from the sandbox's own record and the job's rows: every invoice stored exactly
once with exactly its content; every item in a final state, the first of each number CREATED or
ALREADY_EXISTS and every repeat failed at load; the job's counts add up to the input; a CREATED
row is a 201 the sandbox sent; no 409 at all unless a worker was frozen (an item handed back by
an interrupted worker was never sent, and a killed worker's items are looked up first).

The test acts on what the workers print (``result N``) and on their exits, never on time; the
lease only decides how soon the survivors take over. ``CONFIRMA_CHAOS_SEEDS=N`` reruns a seed.
"""

from __future__ import annotations

import asyncio
import random
import signal

import pytest

from confirma_async import JobStore
from confirma_async.batch.invoices import _from_dict
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig

from ..chaos import Chaos, check_stored_exactly_once, draw, seeds
from .processes import LOST, Proc, ended, results_reach, send, start_worker
from .stores import fetch

FIRST = 840_000_001
LEASE = 1.5  # seconds: short, so that frozen and killed workers' claims pass on soon
MAX_ROUNDS = 8
CALM_AFTER = 3  # rounds of retries with faults; later ones meet none, so every schedule ends
PG_SEEDS = [3, 6, 7, 10]  # interrupted (130), interrupted and frozen, killed, frozen
EXITS: dict[int, int] = {}  # pid -> exit status, for the report printed at the end


async def start(dsn: str, job_id: int, sandbox: Sandbox, chaos: Chaos) -> Proc:
    """A worker with the schedule's retry settings and concurrency."""
    retries, concurrency = chaos.config.max_retries, chaos.concurrency
    return await start_worker(
        dsn, job_id, sandbox, lease=LEASE, max_retries=retries, concurrency=concurrency
    )


async def finished(proc: Proc, why: str, *, interrupted: bool = False) -> int:
    """:func:`ended`, keeping the exit status for the report."""
    code = await ended(proc, why, interrupted=interrupted)
    EXITS[proc.pid] = code
    return code


async def first_round(dsn: str, job_id: int, sandbox: Sandbox, chaos: Chaos) -> list[str]:
    """Two to four workers at once, some killed or frozen on the way; returns their fates."""
    rng = random.Random(f"workers-{chaos.seed}")
    kinds = ("live", "kill", "stop", "interrupt")
    fates = ["live"] + [rng.choice(kinds) for _ in range(rng.randint(1, 3))]
    rng.shuffle(fates)
    procs = [await start(dsn, job_id, sandbox, chaos) for _ in fates]
    why = chaos.describe()
    frozen: list[Proc] = []
    try:

        async def meet(fate: str, proc: Proc) -> None:
            if fate == "live":
                await finished(proc, why)
                return
            if not await results_reach(proc, rng.randint(1, len(chaos.items) // 2)):
                await finished(proc, why)  # it ended before its fate came
                return
            if fate == "kill":
                send(proc, signal.SIGKILL)
                await proc.wait()
            elif fate == "interrupt":  # a clean stop: it hands back what it never sent
                send(proc, signal.SIGINT)
                await finished(proc, why, interrupted=True)
            else:
                send(proc, signal.SIGSTOP)
                frozen.append(proc)

        await asyncio.gather(*(meet(fate, proc) for fate, proc in zip(fates, procs, strict=True)))
        for proc in frozen:  # the others are done, its claims taken over if it held any
            lapsed = await fetch(
                dsn,
                "SELECT lease_until <= now() AS lapsed FROM confirma_job_workers "
                "WHERE job_id = $1 AND pid = $2",
                job_id,
                proc.pid,
            )
            send(proc, signal.SIGCONT)
            code = await finished(proc, why)
            if lapsed and lapsed[0]["lapsed"]:  # its lease ran out while it was frozen
                assert code == LOST, f"{why}: a worker woke past its lease and did not say so"
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
            await finished(await start(postgres_dsn, job.id, sandbox, chaos), why)
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
    if "stop" not in fates:  # only a worker waking past its lease may send what another holds
        assert conflicts == 0, why  # nothing handed back was sent before (else a 409 here)
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
