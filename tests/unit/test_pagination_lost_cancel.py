"""A prefetch whose cancellation is lost still ends when the pager stops without waiting.

aiohttp turns a cancellation into a timeout when its own timer fires at the same moment
(aio-libs/aiohttp#5979): the fetch then goes on as after a timeout, retries and sends again. A
``break``, a cancelled consumer or a failed window stop the pager synchronously (nothing awaits
the cancelled fetches, unlike ``aclose``), so the pager itself must cancel such a fetch again.
Found by the pager chaos test (``tests/integration/test_chaos_pager.py``).
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from confirma_async import PaginationError, ServerError
from confirma_async.pagination import AsyncPager, WindowResult

from .pagination_fakes import START, drain, pager_tasks, settle

D = timedelta(days=1)


class LosingListing:
    """One record a day; windows after the first wait for an answer that never comes, and lose
    their first cancellation as aiohttp's timer does, then wait again (a retry)."""

    def __init__(self, fail_second: bool = False) -> None:
        self.fail_second = fail_second
        self.lost = 0
        self.sent = 0

    async def fetch(self, start: date, end: date) -> WindowResult[date]:
        if start == START:
            return WindowResult(items=[start], total_count=1)
        if self.fail_second and start == START + D:
            await asyncio.sleep(0)  # the window after it is in flight by now
            raise ServerError("down", status=503)
        for attempt in range(2):
            self.sent += 1
            try:
                await asyncio.Event().wait()  # no answer
            except asyncio.CancelledError:
                task = asyncio.current_task()
                assert task is not None
                if attempt or self.lost:
                    raise
                self.lost += 1
                task.uncancel()  # what aiohttp's timer does on its way to the TimeoutError
        raise AssertionError("unreachable")

    def pager(self, prefetch: int = 2) -> AsyncPager[date]:
        return AsyncPager(
            self.fetch,
            start=START,
            end=START + 9 * D,
            key=date.isoformat,
            source="/fake",
            prefetch=prefetch,
        )


async def test_a_prefetch_that_loses_its_cancellation_ends_after_a_break() -> None:
    listing = LosingListing()
    async for _ in listing.pager():
        await asyncio.sleep(0)  # the prefetches are waiting on the server
        break
    await settle()
    assert listing.lost == 1
    assert pager_tasks() == []  # cancelled again, not left waiting (and sending) for good
    assert listing.sent == 3  # the one that lost its cancellation went on to one retry, no more


async def test_a_prefetch_that_loses_its_cancellation_ends_after_a_failed_window() -> None:
    listing = LosingListing(fail_second=True)
    got: list[date] = []
    with pytest.raises(PaginationError):
        await drain(listing.pager(), got)  # ``async for``: nothing awaits the cancelled fetches
    await settle()
    assert got == [START]
    assert listing.lost == 1
    assert pager_tasks() == []
