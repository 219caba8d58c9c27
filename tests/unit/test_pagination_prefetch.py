"""AsyncPager prefetch and stopping: bounded look-ahead, ordering, and no orphan tasks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from .pagination_fakes import START, FakeListing, days, drain, pager_tasks, settle

D = timedelta(days=1)


@pytest.mark.parametrize("prefetch", [0, 1, 2, 5])
async def test_prefetch_depth_never_exceeds_its_bound(prefetch: int) -> None:
    # Uneven days and a cap force splits on the way, which must not break the bound either.
    listing = FakeListing(lambda d: 1 + (d.toordinal() * 13) % 9, cap=12)
    pager = listing.pager(START, START + 29 * D, window=3 * D, prefetch=prefetch)
    got = []
    async for page in pager.pages():
        got.extend(page.items)
        for _ in range(5):  # a slow consumer: let every prefetch run as far as it may
            await asyncio.sleep(0)
        assert listing.in_flight <= prefetch
    assert got == [(d, n) for d in days(START, START + 29 * D) for n in range(listing.per_day(d))]
    assert pager.stats.splits > 0
    assert pager.stats.max_in_flight <= prefetch + 1
    assert listing.max_in_flight <= prefetch + 1
    assert pager.stats.max_buffered_windows == prefetch + 1  # reached, never exceeded


async def test_prefetch_fetches_ahead_while_the_consumer_holds_a_page() -> None:
    listing = FakeListing()
    pager = listing.pager(START, START + 9 * D, prefetch=2)
    pages = aiter(pager.pages())
    first = await anext(pages)
    assert first.start == START
    for _ in range(3):
        await asyncio.sleep(0)
    assert listing.calls == [(START, START), (START + D, START + D), (START + 2 * D, START + 2 * D)]
    second = await anext(pages)  # already fetched: handed out without waiting for the server
    assert second.start == START + D
    await pages.aclose()  # type: ignore[attr-defined]


async def test_prefetch_zero_fetches_only_on_demand() -> None:
    listing = FakeListing()
    pager = listing.pager(START, START + 9 * D, prefetch=0)
    pages = aiter(pager.pages())
    await anext(pages)
    for _ in range(3):
        await asyncio.sleep(0)
    assert listing.started == [(START, START)]
    assert pager.stats.max_buffered_windows == 1
    await pages.aclose()  # type: ignore[attr-defined]


async def test_prefetched_windows_still_come_in_order() -> None:
    # Later windows answer first (earlier ones are held until released): order must not change.
    listing = FakeListing(lambda d: 2)
    listing.gate = asyncio.Event()
    pager = listing.pager(START, START + 5 * D, prefetch=3)
    consumer = asyncio.create_task(pager.to_list())
    await asyncio.sleep(0)
    listing.gate.set()
    got = await consumer
    assert got == [(d, n) for d in days(START, START + 5 * D) for n in range(2)]


async def test_break_cancels_prefetches_and_leaves_no_tasks() -> None:
    listing = FakeListing()
    listing.hold = lambda start: start > START  # later windows never answer
    pager = listing.pager(START, START + 9 * D, prefetch=2)
    async for rec in pager:
        assert rec[0] == START
        await asyncio.sleep(0)  # prefetches are now waiting on the server
        assert len(pager_tasks()) == 2
        break
    await settle()
    assert pager_tasks() == []
    assert sorted(listing.cancelled) == [(START + D, START + D), (START + 2 * D, START + 2 * D)]
    assert pager.checkpoint["skip"] == [["2026-01-01", 0]]


async def test_break_from_pages_of_an_unnamed_pager_leaves_no_tasks() -> None:
    listing = FakeListing()
    listing.hold = lambda start: start > START
    async for page in listing.pager(START, START + 9 * D).pages():
        await asyncio.sleep(0)
        assert page.start == START
        break
    await settle()
    assert pager_tasks() == []
    assert len(listing.cancelled) == 2


async def test_exception_in_the_consumer_cancels_prefetches() -> None:
    listing = FakeListing()
    listing.hold = lambda start: start > START
    pager = listing.pager(START, START + 9 * D, prefetch=3)

    async def consume() -> None:
        async for _ in pager:
            await asyncio.sleep(0)
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        await consume()
    # no gc.collect(): the iterator the loop held is freed as the exception leaves the frame
    await settle()
    assert pager_tasks() == []
    assert len(listing.cancelled) == 3


async def test_cancelling_the_consumer_cancels_prefetches() -> None:
    listing = FakeListing()
    listing.hold = lambda start: start > START + D
    pager = listing.pager(START, START + 9 * D, prefetch=2)
    got = []

    async def consume() -> None:
        async for rec in pager:
            got.append(rec)

    task = asyncio.create_task(consume())
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(got) == 6  # two days, then waiting for the held third window
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await settle()
    assert pager_tasks() == []
    assert pager.checkpoint["next"] == "2026-01-03"


async def test_async_with_and_aclose_wait_for_the_cancelled_fetches() -> None:
    listing = FakeListing()
    listing.hold = lambda start: start > START
    async with listing.pager(START, START + 9 * D, prefetch=4) as pager:
        async for _ in pager:
            await asyncio.sleep(0)
            break
    assert pager_tasks() == []  # no settling needed: aclose waited
    assert len(listing.cancelled) == 4
    await pager.aclose()  # twice is fine


async def test_timeout_around_a_pager_cancels_cleanly() -> None:
    listing = FakeListing()
    listing.hold = lambda start: start > START
    pager = listing.pager(START, START + 9 * D)
    got: list[object] = []
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(drain(pager, got), timeout=0)
    await settle()
    assert pager_tasks() == []
