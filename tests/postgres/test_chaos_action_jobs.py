"""Chaos on action jobs: worker processes killed or interrupted under faults; actions at most once.

Each seed draws the actions of ``tests/integration/action_chaos.py`` (their invoices stored first,
without faults) and its fault rules on ``POST /invoice/action``, then a fate for each of two or
three worker processes (``_chaos_worker.py``): work to the end, be killed (SIGKILL) after k
results, or be interrupted (SIGINT: a clean stop that hands back what it never sent) after k
results. Then, like an operator, ``retry_failed`` and one more worker per round, until no action
is left failed by a passing fault (faults stop after a few rounds, so every schedule ends).

Actions cannot be looked up: one that may have been queued is never sent again. What must hold,
from the sandbox's own request log and records and the job's rows, per action content (identical
actions, meant twice, share one):

* no request for it after the n-th that may have been applied (n: its copies in the input), so
  it is queued at most n times, and never when it aimed at a missing invoice;
* the job's ``created`` rows for it are at most the times it was queued, and every row is final;
* a row failed with a known outcome was not queued by any of its requests.

``CONFIRMA_CHAOS_SEEDS=N`` reruns a seed.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter, defaultdict
from typing import Any

import pytest

from confirma_async import ConfirmaClient, JobStore
from confirma_async.testing import ManualClock, ReceivedRequest, Sandbox, SandboxConfig

from ..chaos import seeds
from ..integration.action_chaos import (
    INVALID,
    ActionChaos,
    check_never_sent_again,
    comment_of,
    draw_actions,
    requests_by_comment,
)
from .processes import INTERRUPTED, LOST, Proc, ended, results_reach, send, start_worker

SEEDS = [7, 9, 21]  # interrupted, interrupted and killed, two interrupted: each catches a
# worker that hands back an action it had sent (tried: releasing every claim fails 8 of seeds 1-30)
LEASE = 1.5  # seconds: short, so that killed workers' claims pass on soon
MAX_ROUNDS = 8
CALM_AFTER = 3
PASSING = {"RateLimitError", "ServerError", "APIConnectionError", "APITimeoutError"}
"""Known failures a later round may get past (once the faults stop)."""


async def start(dsn: str, job_id: int, sandbox: Sandbox, chaos: ActionChaos) -> Proc:
    retries, concurrency = chaos.config.max_retries, chaos.concurrency
    return await start_worker(
        dsn, job_id, sandbox, lease=LEASE, max_retries=retries, concurrency=concurrency
    )


async def first_round(
    dsn: str, job_id: int, sandbox: Sandbox, chaos: ActionChaos, exits: list[int]
) -> list[str]:
    """Two or three workers at once, some killed or interrupted on the way; their fates (and
    their exit statuses in ``exits``)."""
    rng = random.Random(f"action-workers-{chaos.seed}")
    fates = ["live"] + [rng.choice(("live", "kill", "interrupt")) for _ in range(rng.randint(1, 2))]
    rng.shuffle(fates)
    procs = [await start(dsn, job_id, sandbox, chaos) for _ in fates]
    why = chaos.describe()

    async def meet(fate: str, proc: Proc) -> None:
        if fate != "live" and await results_reach(proc, rng.randint(1, len(chaos.items) // 2)):
            send(proc, signal.SIGKILL if fate == "kill" else signal.SIGINT)
        if fate == "kill":
            exits.append(await proc.wait())
        else:
            code = await ended(proc, why, interrupted=fate == "interrupt")
            assert code in (0, INTERRUPTED), f"{why}: {fate} worker exit {code} ({LOST}: lost)"
            exits.append(code)

    try:
        await asyncio.gather(*(meet(fate, proc) for fate, proc in zip(fates, procs, strict=True)))
    finally:
        for proc in procs:
            if proc.returncode is None:
                send(proc, signal.SIGKILL)
                await proc.wait()
    return fates


def settled(rows: list[Any]) -> bool:
    """Every row final, and none failed by a fault a later round may get past."""
    return all(
        r.state == "created"
        or (r.state == "failed" and (r.outcome_unknown or r.error_type not in PASSING))
        for r in rows
    )


def check_server(
    chaos: ActionChaos, sandbox: Sandbox, log: list[ReceivedRequest], rows: list[Any]
) -> None:
    """The module docstring's rules, from the sandbox's records and the job's rows."""
    why = chaos.describe()
    copies = chaos.copies()
    requests = requests_by_comment(chaos, log)
    queued = Counter(a.spec.comment for a in sandbox.state.actions())
    assert set(queued) <= set(copies), why
    rows_of: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        rows_of[comment_of(chaos.items[row.seq])].append(row)
    for comment, n in copies.items():
        maybes, detail = check_never_sent_again(chaos, comment, n, requests.get(comment, []))
        assert queued[comment] <= len(maybes), detail
        mine = rows_of[comment]
        assert all(r.state in ("created", "failed") for r in mine), (*detail, mine)
        created = sum(r.state == "created" for r in mine)
        assert created <= queued[comment], (*detail, mine)
        if all(r.state == "failed" and not r.outcome_unknown for r in mine):
            assert queued[comment] == 0, (*detail, mine)  # failed known: nothing was queued
        if comment in chaos.missing:
            assert queued[comment] == 0, detail


@pytest.mark.slow
@pytest.mark.parametrize("seed", seeds(SEEDS), ids=lambda s: f"seed_{s}")
async def test_killed_and_interrupted_workers_queue_every_action_at_most_once(
    seed: int, postgres_dsn: str
) -> None:
    chaos = draw_actions(seed)
    why = chaos.describe()
    config = SandboxConfig(seed=seed, distribution_failure_rate=0)
    async with (
        Sandbox(config, clock=ManualClock()) as sandbox,
        await JobStore.connect(postgres_dsn) as store,
    ):
        async with ConfirmaClient(api_key=sandbox.client_token, base_url=sandbox.base_url) as c:
            stored = c.batch(4).submit_invoices(chaos.invoices)
            assert (await c.batch(4).run(stored)).failed == 0, why
        log = sandbox.record_requests(bodies=True)
        for rule in chaos.faults:
            sandbox.faults.add(rule)
        job = await store.load(chaos.items, kind="action")
        exits: list[int] = []
        fates = await first_round(postgres_dsn, job.id, sandbox, chaos, exits)
        for round_ in range(MAX_ROUNDS):
            rows = [r async for r in job.results()]
            if settled(rows):
                break
            if round_ == CALM_AFTER:
                sandbox.faults.clear()
            await job.retry_failed()
            await ended(await start(postgres_dsn, job.id, sandbox, chaos), why)
        else:
            pytest.fail(f"{why}: not settled after {MAX_ROUNDS} rounds ({fates})")

    unknown = sum(r.outcome_unknown for r in rows)
    print(f"{why}: fates {fates}, exits {exits}, rounds {round_}, unknown {unknown}/{len(rows)}")
    assert len(rows) == len(chaos.items), why
    invalid = [r for r in rows if comment_of(chaos.items[r.seq]) == INVALID]
    assert all(r.state == "failed" and not r.outcome_unknown for r in invalid), why
    check_server(chaos, sandbox, log, rows)
