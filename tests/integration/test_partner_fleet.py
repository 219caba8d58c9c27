"""Fleet polling: many clients' change streams in one iterator, one checkpoint per client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from confirma_async import APITimeoutError, ConfirmaPartner, PaginationError
from confirma_async._core import tasks
from confirma_async.partner import FleetWatcher
from confirma_async.testing import Sandbox
from tests.loop_turns import turns_until

from .conftest import TODAY, make_invoice


async def three_clients(partner: ConfirmaPartner, sandbox: Sandbox) -> list[str]:
    """Clients with 1, 2 and 3 invoices, numbered 1.. each (the same numbers, other creditors)."""
    ids = []
    for k in range(3):
        client_id, token = sandbox.add_client(f"Creditor {k}")
        client = await partner.register(client_id, token)
        for n in range(1, k + 2):
            await client.invoices.create(make_invoice(n))
        ids.append(client_id)
    return ids


class Sleeps:
    """An injected sleep: records what was asked and only yields to the loop."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0)


def numbers_in(checkpoint: dict[str, object] | None) -> set[int]:
    assert checkpoint is not None
    seen = checkpoint["seen"]
    assert isinstance(seen, dict)
    return {int(n) for day in seen.values() for n in day}


def fleet_of(partner: ConfirmaPartner, ids: list[str], sb: Sandbox, **kw: object) -> FleetWatcher:
    return partner.watch_distributions(
        ids,
        interval=60,
        since=TODAY,
        clock=sb.clock,
        **kw,  # type: ignore[arg-type]
    )


Got = list[tuple[str, int | None]]


async def take(fleet: FleetWatcher, n: int, check: Callable[[Got], None] | None = None) -> Got:
    """The first ``n`` (client id, invoice number) pairs of the fleet (``check`` after each)."""
    got: Got = []
    async for client_id, record in fleet:
        got.append((client_id, record.invoice_number))
        if check is not None:
            check(got)
        if len(got) == n:
            break
    return got


async def test_every_clients_records_come_once_tagged_with_their_client(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    ids = await three_clients(partner, confirma_sandbox)
    async with fleet_of(partner, ids, confirma_sandbox, sleep=Sleeps()) as fleet:
        got = await take(fleet, 6)
    a, b, c = ids
    assert sorted(got) == sorted([(a, 1), (b, 1), (b, 2), (c, 1), (c, 2), (c, 3)])


async def test_a_clients_checkpoint_covers_exactly_the_records_given_out(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    ids = await three_clients(partner, confirma_sandbox)
    async with fleet_of(partner, ids, confirma_sandbox, sleep=Sleeps()) as fleet:

        def exact(got: Got) -> None:  # others' records waiting in the fleet are not in theirs
            for each in ids:
                assert numbers_in(fleet.checkpoint(each)) == {n for c, n in got if c == each}

        await take(fleet, 6, exact)
        checkpoints = fleet.checkpoints
    await partner.client(ids[0]).invoices.create(make_invoice(50))
    async with fleet_of(partner, ids, confirma_sandbox, checkpoints=checkpoints) as resumed:
        async for client_id, record in resumed:
            assert (client_id, record.invoice_number) == (ids[0], 50)  # nothing repeated
            break


async def test_the_first_polls_are_spread_over_the_interval(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    ids = await three_clients(partner, confirma_sandbox)
    sleeps = Sleeps()
    async with fleet_of(partner, ids, confirma_sandbox, sleep=sleeps) as fleet:
        async for _ in fleet:
            break
    assert sleeps.asked[:3] == [0.0, 20.0, 40.0]


async def test_one_clients_failing_polls_do_not_stop_the_others(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    ids = await three_clients(partner, confirma_sandbox)
    confirma_sandbox.faults.fail_next(10, "GET", "/invoice/distribution", client=ids[2])
    async with fleet_of(partner, ids, confirma_sandbox, sleep=Sleeps()) as fleet:
        got = await take(fleet, 6)
    assert sorted(n for c, n in got if c == ids[2]) == [1, 2, 3]  # after its watcher restarted
    assert set(fleet.errors) == {ids[2]}


async def test_an_exception_that_is_not_the_apis_stops_the_fleet_and_is_raised(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox
) -> None:
    ids = await three_clients(partner, confirma_sandbox)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the handler of client 2")

    # Every read of distribution records (a window, a pager's fetch) goes through _distribution_get.
    partner.client(ids[1]).invoices._distribution_get = broken  # type: ignore[method-assign]
    async with fleet_of(partner, ids, confirma_sandbox, sleep=Sleeps()) as fleet:
        with pytest.raises(PaginationError, match="client 2") as caught:
            await take(fleet, 100)
    assert isinstance(caught.value.__cause__, RuntimeError)


async def test_closing_ends_the_fleet_even_if_a_poll_turns_its_cancellation_into_a_timeout(
    partner: ConfirmaPartner, confirma_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiohttp turns a cancellation into a timeout when its own timer fires at the same moment
    # (aio-libs/aiohttp#5979): the watcher took it for a failed poll and polled again, so closing
    # the fleet waited for it forever.
    monkeypatch.setattr(tasks, "RECANCEL_EVERY", 0)  # look again at every turn of the loop
    ids = await three_clients(partner, confirma_sandbox)
    polling = asyncio.Event()
    lost: list[str] = []

    async def poll_losing_its_first_cancellation(*args: object, **kwargs: object) -> None:
        polling.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if lost:
                raise
            lost.append("poll")
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()  # what aiohttp's timer does on its way to the TimeoutError
            raise APITimeoutError("the poll timed out", outcome_unknown=False) from None

    partner.client(ids[0]).invoices._distribution_get = poll_losing_its_first_cancellation  # type: ignore[method-assign]
    fleet = fleet_of(partner, ids, confirma_sandbox, sleep=Sleeps())
    got = await take(fleet, 5)  # the other two clients' records
    await polling.wait()
    closing = asyncio.create_task(fleet.aclose())
    await turns_until(closing)

    assert closing.done()
    await closing
    assert lost == ["poll"]
    assert {client for client, _ in got} == set(ids[1:])
