"""Many creditors, one partner, random chaos: nothing crosses between creditors.

Several creditors onboarded under one ConfirmaPartner upload (in bulk and one by one), list
their distribution records and payments and validate their tokens, all at once, while random
token expiries, revocations and re-registrations, per-client faults (401, 403, 429, 5xx, dropped
and commit-then-dropped connections), clock moves, task cancellations and the closing of a
client strike. See ``partner_chaos.py`` for what is asserted and how a seed is replayed.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from confirma_async import ConfirmaPartner, MemoryTokenStore
from confirma_async.testing import Sandbox

from .conftest import FAST
from .partner_chaos import Progress, Run, seeds
from .partner_chaos_checks import Replicas, chaos_run


def one_partner(seed: int) -> Replicas:
    """Partners on one MemoryTokenStore (one process), at most 2, 4 or 8 requests in flight."""
    store = MemoryTokenStore()
    limit = random.Random(seed).choice([2, 4, 8])

    @asynccontextmanager
    async def partners(
        sandbox: Sandbox, progress: Progress | None, n: int
    ) -> AsyncIterator[list[ConfirmaPartner]]:
        assert n == 1
        async with ConfirmaPartner(
            partner_token=sandbox.partner_token,
            base_url=sandbox.base_url,
            config=FAST,
            token_store=store,
            max_in_flight=limit,
            trace_configs=None if progress is None else [progress.trace()],
        ) as partner:
            yield [partner]

    return partners


async def one_run(seed: int, *, creditors: int, ops: int, events: int) -> Run:
    return await chaos_run(
        seed, one_partner(seed), count=1, creditors=creditors, ops=ops, events=events
    )


@pytest.mark.parametrize("seed", seeds(range(1, 5)))
async def test_creditors_never_share_tokens_data_or_failures(seed: int) -> None:
    run = await one_run(seed, creditors=4, ops=4, events=8)
    assert run.seen.ops > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", seeds(range(100, 140)))
async def test_creditors_never_share_tokens_data_or_failures_under_more_chaos(seed: int) -> None:
    run = await one_run(seed, creditors=5, ops=10, events=20)
    assert run.seen.ops > 0
