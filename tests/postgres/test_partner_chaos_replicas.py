"""Two ConfirmaPartner replicas sharing a PostgresTokenStore, random chaos: nothing crosses.

Part 1: the chaos of ``tests/integration/partner_chaos.py`` with two replicas (as two processes
would be, each with its own store and listening connection on one database) acting for the same
creditors: every operation goes through a replica picked at random.

Part 2: renewals racing across the replicas: in each round the tokens of a random subset of the
creditors expire and both replicas fire concurrent calls for every creditor (some of them
cancelled at random): each expired creditor's token is renewed exactly once, the others' not at
all, and every token stays its own creditor's.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from confirma_async import ConfirmaPartner
from confirma_async.postgres import PostgresTokenStore
from confirma_async.testing import FaultRule, Sandbox

from ..integration.conftest import FAST, TODAY
from ..integration.partner_chaos import Progress, onboard, record_chaos_seed, seeds
from ..integration.partner_chaos_checks import chaos_run


@asynccontextmanager
async def replicas(
    sandbox: Sandbox, dsn: str, progress: Progress | None = None, n: int = 2
) -> AsyncIterator[list[ConfirmaPartner]]:
    stores = [await PostgresTokenStore.open(dsn) for _ in range(n)]
    partners = [
        ConfirmaPartner(
            partner_token=sandbox.partner_token,
            base_url=sandbox.base_url,
            config=FAST,
            token_store=store,
            max_in_flight=4,
            trace_configs=None if progress is None else [progress.trace()],
        )
        for store in stores
    ]
    try:
        yield partners
    finally:
        for partner in partners:
            await partner.aclose()
        for store in stores:
            await store.aclose()


async def chaos_across_replicas(seed: int, dsn: str, *, ops: int, events: int) -> None:
    def on_postgres(
        sandbox: Sandbox, progress: Progress | None, n: int
    ) -> AbstractAsyncContextManager[list[ConfirmaPartner]]:
        return replicas(sandbox, dsn, progress, n)

    await chaos_run(seed, on_postgres, count=2, creditors=4, ops=ops, events=events)


@pytest.mark.parametrize("seed", seeds([1]))
async def test_replicas_never_mix_creditors_up(postgres_dsn: str, seed: int) -> None:
    await chaos_across_replicas(seed, postgres_dsn, ops=4, events=8)


@pytest.mark.slow
@pytest.mark.parametrize("seed", seeds(range(200, 215)))
async def test_replicas_never_mix_creditors_up_under_more_chaos(
    postgres_dsn: str, seed: int
) -> None:
    await chaos_across_replicas(seed, postgres_dsn, ops=8, events=20)


async def renewal_races(seed: int, dsn: str, *, rounds: int) -> None:
    record_chaos_seed(seed)
    rng = random.Random(seed)
    progress = Progress()
    async with Sandbox() as sandbox, replicas(sandbox, dsn, progress) as partners:
        creditors = [c.client_id for c in await onboard(partners[0], 5, rng)]
        # Renewals are made at once but answered late: cancellations strike during them too.
        sandbox.faults.add(FaultRule(kind="slow", method="GET", path="/renew", delay=0.02))
        first = [
            p.client(c).payments.payments_window(TODAY, TODAY) for p in partners for c in creditors
        ]
        await asyncio.gather(*first)  # every replica attached to every creditor's key
        # No waiting for notifications between rounds: a replica that adopts, on its 401, a
        # token that expired meanwhile renews once more (A102).
        renewed = dict.fromkeys(creditors, 0)
        expired: set[str] = set()  # creditors whose token expired and is not renewed yet
        for round_ in range(rounds):
            for client_id in rng.sample(creditors, rng.randint(1, len(creditors))):
                stored = await partners[0].token_store.load(
                    partners[0].client(client_id).tokens.key
                )
                assert stored is not None
                sandbox.expire_token(stored.token)
                expired.add(client_id)
            tasks = {
                asyncio.create_task(p.client(c).payments.payments_window(TODAY, TODAY)): c
                for _ in range(rng.randint(1, 4))
                for p in partners
                for c in creditors
            }
            progress.done = False
            canceller = asyncio.create_task(cancel_some(rng, list(tasks), progress))
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            await progress.finish()
            await canceller
            for partner in partners:  # renewals whose callers were cancelled end on their own
                for client_id in creditors:
                    await asyncio.gather(*partner.client(client_id).tokens._renewing)
            why = f"seed {seed}, round {round_}, expired {sorted(expired)}"
            failed = [o for o in outcomes if not isinstance(o, list | asyncio.CancelledError)]
            causes = [(o, o.__cause__, getattr(o, "__notes__", None)) for o in failed]
            assert failed == [], f"{why}: {causes}"
            served = {
                c for (t, c), o in zip(tasks.items(), outcomes, strict=True) if isinstance(o, list)
            }
            for client_id in creditors:
                made = sandbox.requests_of(client_id, "GET /renew") - renewed[client_id]
                # once per expiry at most, and once for sure if any call of it went through
                assert made <= (client_id in expired), f"{why}: {client_id} renewed {made}x"
                if client_id in expired and client_id in served:
                    assert made == 1, f"{why}: {client_id} served without a renewal"
                renewed[client_id] += made
                if made:
                    expired.discard(client_id)
            for partner in partners:
                for client_id in creditors:
                    client = partner.client(client_id)
                    record = sandbox.state.tokens.get(client.tokens.auth_header()[1])
                    assert record is not None, why
                    assert record.client_id == client_id, why
                    stored = await partner.token_store.load(client.tokens.key)
                    assert stored is not None, why
                    assert stored.version == renewed[client_id] + 1, why


async def cancel_some(
    rng: random.Random, tasks: list[asyncio.Task[object]], progress: Progress
) -> None:
    """Cancel a fifth of the calls, one at a time, each after a few more requests ended."""
    for task in rng.sample(tasks, len(tasks) // 5):
        await progress.after(rng.randint(0, 4))
        task.cancel()


@pytest.mark.parametrize("seed", seeds([7]))
async def test_each_creditor_is_renewed_once_per_expiry_across_replicas(
    postgres_dsn: str, seed: int
) -> None:
    await renewal_races(seed, postgres_dsn, rounds=3)


@pytest.mark.slow
@pytest.mark.parametrize("seed", seeds(range(300, 315)))
async def test_each_creditor_is_renewed_once_per_expiry_across_replicas_many_rounds(
    postgres_dsn: str, seed: int
) -> None:
    await renewal_races(seed, postgres_dsn, rounds=6)
