"""Coordinated watchers in one process (MemoryCoordination): one poller, commit after handling."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from confirma_async import ConfirmaClient, MemoryCoordination
from confirma_async.testing import Sandbox

from .conftest import TODAY, make_invoice

NUMBERS = [920_000_001, 920_000_002, 920_000_003]


def watcher(client: ConfirmaClient, sandbox: Sandbox, coordination: MemoryCoordination) -> Any:
    async def no_wait(seconds: float) -> None:
        return None

    return client.invoices.watch_distributions(
        since=TODAY,
        interval=60,
        clock=sandbox.clock,
        sleep=no_wait,
        coordination=coordination,
        stream="s",
    )


async def test_a_record_handed_out_but_not_yet_handled_is_yielded_again_by_the_next_holder(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    for number in NUMBERS:
        await confirma_client.invoices.create(make_invoice(number, payment_control=False))
    coordination = MemoryCoordination()
    first = watcher(confirma_client, confirma_sandbox, coordination)
    async with first:
        records = first.__aiter__()
        a = await records.__anext__()
        b = await records.__anext__()  # asking for b committed a; b is in hand when it stops
    second = watcher(confirma_client, confirma_sandbox, coordination)
    async with second:
        records = second.__aiter__()
        again = [await records.__anext__(), await records.__anext__()]
        assert second.stats.leases == 1
    assert [r.invoice_number for r in again] == [b.invoice_number, NUMBERS[2]]
    assert a.invoice_number not in [r.invoice_number for r in again]


async def test_a_second_watcher_waits_while_the_first_holds_the_stream(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    await confirma_client.invoices.create(make_invoice(NUMBERS[0], payment_control=False))
    coordination = MemoryCoordination()
    first = watcher(confirma_client, confirma_sandbox, coordination)
    second = watcher(confirma_client, confirma_sandbox, coordination)
    async with first, second:
        record = await first.__aiter__().__anext__()
        waiting = second.__aiter__()
        pending = asyncio.ensure_future(waiting.__anext__())
        await asyncio.sleep(0)  # let it try: it is blocked on the lease, not polling
        assert not pending.done()
        assert second.stats.polls == 0
        confirma_sandbox.advance(timedelta(minutes=6))
        await first.aclose()  # hands over; the record in hand is yielded again
        again = await pending
        assert again.invoice_number == record.invoice_number
        assert second.stats.leases == 1
