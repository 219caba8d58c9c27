"""Bounded work and memory: an endless input, a slow consumer, counters instead of clocks."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from confirma_async import ConfirmaClient, InvoiceCreated, InvoiceRequest
from confirma_async.batch.rate import RateLimiter
from confirma_async.batch.window import SlidingWindow

from .batch_fakes import invoice

CONCURRENCY = 64
WINDOW = 2 * CONCURRENCY  # running + finished-but-not-handed-back, at most
CONSUMED = 5_000


class Source:
    """A 1,000,000-item generator that counts how far it was pulled."""

    def __init__(self, total: int = 1_000_000) -> None:
        self.total = total
        self.produced = 0

    def __iter__(self) -> Iterator[InvoiceRequest]:
        for n in range(1, self.total + 1):
            self.produced += 1
            yield invoice(n)


def instant_create(client: ConfirmaClient, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Replace the HTTP call with one that answers after a few event-loop turns."""
    concurrent: list[int] = [0, 0]  # now, peak (measured independently of the submitter)

    async def create(body: bytes) -> InvoiceCreated:
        concurrent[0] += 1
        concurrent[1] = max(concurrent[1], concurrent[0])
        for _ in range(3):
            await asyncio.sleep(0)
        concurrent[0] -= 1
        number = json.loads(body)["invoice"]["header"]["number"]
        return InvoiceCreated(invoice_number=number, status="RECEIVED")

    monkeypatch.setattr(client.invoices, "_create_encoded", create)  # what the batch sends
    return concurrent


@pytest.mark.parametrize("ordered", [False, True])
async def test_endless_input_with_slow_consumer_stays_bounded(
    client: ConfirmaClient, monkeypatch: pytest.MonkeyPatch, ordered: bool
) -> None:
    concurrent = instant_create(client, monkeypatch)
    source = Source()
    batch = client.batch(CONCURRENCY, ordered=ordered)
    consumed = 0
    async with batch.submit_invoices(source) as results:
        async for result in results:
            consumed += 1
            assert result.ok
            stats = batch.stats
            assert stats.pulled - stats.handed_back == stats.window <= WINDOW
            assert stats.in_flight <= CONCURRENCY
            assert source.produced <= consumed + WINDOW
            for _ in range(5):  # a slow consumer: the requests run on meanwhile
                await asyncio.sleep(0)
            if consumed == CONSUMED:
                break

    stats = batch.stats
    assert stats.max_in_flight == CONCURRENCY == concurrent[1]
    assert stats.max_window <= WINDOW
    assert stats.max_buffered <= WINDOW
    assert stats.pulled <= CONSUMED + WINDOW
    assert source.produced == stats.pulled < source.total
    assert stats.in_flight == 0 == concurrent[0]  # closing the stream stopped everything
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_intake_waits_for_the_consumer(
    client: ConfirmaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    instant_create(client, monkeypatch)
    source = Source()
    batch = client.batch(8)
    async with batch.submit_invoices(source) as results:
        first = await results.__anext__()
        for _ in range(100):  # every request could finish many times over meanwhile
            await asyncio.sleep(0)
        assert first.ok
        # 8 ran, then 8 more once the first finished; then intake stopped: a full window (16),
        # the one result we hold included; its slot is refilled only when we ask again.
        assert batch.stats.pulled == source.produced == 16
        assert batch.stats.buffered == 15  # finished and waiting for us, nothing more
        assert batch.stats.in_flight == 0
        await results.__anext__()
        for _ in range(100):
            await asyncio.sleep(0)
        assert batch.stats.pulled == source.produced == 17  # one slot freed, one item taken


def test_rate_limiter_spaces_acquisitions() -> None:
    now = [100.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))
        now[0] += seconds

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)

    async def main() -> None:
        for _ in range(5):
            await limiter.acquire()
        now[0] += 10.0  # idle time does not bank a burst
        await limiter.acquire()
        await limiter.acquire()

    asyncio.run(main())
    assert waits == [0.25, 0.25, 0.25, 0.25, 0.25]


async def test_rate_limit_is_applied_to_every_request(
    client: ConfirmaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    instant_create(client, monkeypatch)
    acquired = itertools.count()

    async def acquire(self: Any) -> None:
        next(acquired)

    monkeypatch.setattr(RateLimiter, "acquire", acquire)
    batch = client.batch(4, rate_limit=1000)

    summary = await batch.run(batch.submit_invoices(invoice(n) for n in range(1, 11)))

    assert summary.created == 10
    assert next(acquired) == 10


async def test_short_input_starts_only_the_workers_it_needs(
    client: ConfirmaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    instant_create(client, monkeypatch)
    worker = SlidingWindow._work.__qualname__
    peak = 0
    batch = client.batch(10_000)
    async with batch.submit_invoices(Source(total=3)) as results:
        async for _ in results:
            running = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == worker]
            peak = max(peak, len(running))

    assert batch.stats.handed_back == 3
    assert 1 <= peak <= 4  # one per item pulled, plus the one that found the input's end
