"""Closing a batch stream ends it, even when a request loses the cancellation that closing sends."""

from __future__ import annotations

import asyncio

import pytest
from aioresponses import aioresponses

from confirma_async import ConfirmaClient
from confirma_async._core import tasks
from confirma_async.batch.window import SlidingWindow
from tests.loop_turns import turns_until

from .batch_fakes import FakeCfis, invoice


def batch_workers() -> list[asyncio.Task[None]]:
    qualname = SlidingWindow._work.__qualname__
    return [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == qualname]


async def test_closing_ends_the_stream_even_if_a_request_turns_its_cancellation_into_a_timeout(
    mocked: aioresponses, client: ConfirmaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiohttp turns a cancellation into a timeout when its own timer fires at the same moment
    # (aio-libs/aiohttp#5979): the worker then goes on with its item (a lookup, a re-send) and,
    # unchecked, with the next items, waiting for a consumer that is gone: closing never ended.
    monkeypatch.setattr(tasks, "RECANCEL_EVERY", 0)  # look again at every turn of the loop
    cfis = FakeCfis(mocked)
    lost: set[int] = set()

    async def hold_then_lose_the_cancellation(number: int) -> None:
        if number == 1:
            return
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if number in lost:
                raise
            lost.add(number)
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()  # what aiohttp's timer does on its way to the TimeoutError
            raise TimeoutError from None

    cfis.gate = hold_then_lose_the_cancellation
    stream = client.batch(2).submit_invoices(invoice(n) for n in range(1, 100))
    first = await anext(aiter(stream))
    assert first.key == 1
    taken = stream.stats.pulled  # both workers wait in a held request: no one can take more
    closing = asyncio.create_task(stream.aclose())
    await turns_until(closing)

    assert closing.done()
    await closing
    assert lost  # the cancellation was lost at least once
    assert batch_workers() == []
    assert stream.stats.pulled == taken  # no new item was taken after the close
    assert set(cfis.posts) <= set(range(1, taken + 1))
    # An item whose cancellation was lost may be looked up and sent once more (whether the lookup
    # ends before the next cancellation depends on the loop), never more than that.
    assert all(cfis.posts[n] <= 1 + (n in lost) for n in cfis.posts)
