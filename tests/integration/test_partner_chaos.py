"""Many creditors, one partner, random chaos: nothing crosses between creditors.

Several creditors onboarded under one ConfirmaPartner upload (in bulk and one by one), list
their distribution records and payments and validate their tokens, all at once, while random
token expiries, revocations and re-registrations, per-client faults (401, 403, 429, 5xx, dropped
and commit-then-dropped connections), clock moves, task cancellations and the closing of a
client strike. See ``partner_chaos.py`` for what is asserted and how a seed is replayed.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from confirma_async import ConfirmaPartner
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig

from .conftest import FAST
from .partner_chaos import (
    Progress,
    Run,
    captured_logs,
    onboard,
    record_chaos_seed,
    run_chaos,
    seeds,
)
from .partner_chaos_checks import check_closed, check_isolation, check_sound


def chaos_sandbox(seed: int) -> Sandbox:
    """A sandbox where invoices are delivered and paid within minutes (payments to list)."""
    config = SandboxConfig(
        seed=seed,
        distribution_failure_rate=0,
        distribution_delay=timedelta(minutes=1),
        debtor_payment_rate=1.0,
        debtor_payment_delay=timedelta(minutes=1),
        reject_duplicates=False,  # a second upload would be stored twice: counted, not hidden
    )
    return Sandbox(config, clock=ManualClock())


async def one_run(seed: int, *, creditors: int, ops: int, events: int) -> Run:
    record_chaos_seed(seed)
    rng = random.Random(seed)
    progress = Progress()
    with captured_logs() as log:
        async with chaos_sandbox(seed) as sandbox:
            sandbox.record_requests()
            partner = ConfirmaPartner(
                partner_token=sandbox.partner_token,
                base_url=sandbox.base_url,
                config=FAST,
                max_in_flight=rng.choice([2, 4, 8]),
                trace_configs=[progress.trace()],
            )
            async with partner:
                members = await onboard(partner, creditors, rng)
                run = Run(seed, sandbox, [partner], members, progress)
                await run_chaos(run, ops_per_creditor=ops, chaos_events=events)
                await check_isolation(run, log)
            check_closed(run)
            async with ConfirmaPartner(
                base_url=sandbox.base_url, config=FAST, token_store=partner.token_store
            ) as restarted:
                await check_sound(run, restarted)
    return run


@pytest.mark.parametrize("seed", seeds(range(1, 5)))
async def test_creditors_never_share_tokens_data_or_failures(seed: int) -> None:
    run = await one_run(seed, creditors=4, ops=4, events=8)
    assert run.seen.ops > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", seeds(range(100, 140)))
async def test_creditors_never_share_tokens_data_or_failures_under_more_chaos(seed: int) -> None:
    run = await one_run(seed, creditors=5, ops=10, events=20)
    assert run.seen.ops > 0
