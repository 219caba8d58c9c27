"""The sliding window behind the batch submitter: bounded work, lazy intake, per-item results.

Up to ``concurrency`` workers each loop: take the next input item, process it, put the result in
the buffer the consumer reads, repeat. So at most ``concurrency`` items run at once. Workers are
started one per item pulled until there are ``concurrency`` of them, so a short input with a large
``concurrency`` starts only as many as it needs.

A worker takes a new item only while fewer than ``2 * concurrency`` items are taken from the input
and not yet done with (running, finished and waiting for the consumer, or the one result the
consumer holds until it asks for the next); once the consumer stops asking, intake stops too, and
memory stays O(``concurrency``) whatever the length of the input (an endless generator included).
The extra ``concurrency`` of room lets new requests start while finished results wait for a
consumer that is busy for a moment, so the requests in flight do not drop below ``concurrency``
just because results were not taken yet. In ordered mode results leave in input order only.

Why workers and not a task per item: a worker frees one item's request objects and allocates the
next one's in the same step. Starting a fresh task per item after each hand-back instead frees and
allocates in separate bursts, which defeats the garbage collector's young-generation accounting
and triggers several times as many collections (measured: ~40 us of collector time per item at
concurrency 64 against a fast server; see ``benchmarks/bench_bulk.py``).

Closing the stream (``break``, ``aclose``, task cancellation, Ctrl-C under ``asyncio.run``)
cancels the workers and waits for them, so no task outlives the stream; no worker takes another
item meanwhile, and one whose cancellation aiohttp lost is cancelled again
(:func:`~confirma_async._core.tasks.stop_tasks`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
)
from types import CoroutineType
from typing import Any, Generic, TypeVar

from .._core.tasks import stop_tasks
from .results import BatchStats

T = TypeVar("T")
R = TypeVar("R")


_END = object()
"""What a pull returns when the input has ended (or failed: ``_source_error`` says)."""


class SlidingWindow(Generic[T, R]):
    """Runs ``prepare(index, item)`` for each input item, ``concurrency`` at a time.

    ``prepare`` returns either a finished result (no request needed) or a coroutine producing
    one; it must not raise (the coroutine may, for bugs: that error ends the stream).
    """

    def __init__(
        self,
        prepare: Callable[[int, T], R | Coroutine[Any, Any, R]],
        *,
        concurrency: int,
        ordered: bool,
        stats: BatchStats,
    ) -> None:
        self._prepare = prepare
        self._concurrency = concurrency
        self._size = 2 * concurrency
        self._ordered = ordered
        self._stats = stats
        self._done: deque[R] = deque()  # unordered: finished results, completion order
        self._by_index: dict[int, R] = {}  # ordered: finished results by input index
        self._next_out = 0  # ordered: the index to hand back next
        self._held = 0  # 1 while the consumer holds a result and has not asked for the next
        self._next_index = 0
        self._exhausted = False
        self._source_error: BaseException | None = None
        self._failure: BaseException | None = None
        self._consumer_wake: asyncio.Future[None] | None = None
        self._room_waiters: deque[asyncio.Future[None]] = deque()
        self._sync_next: Callable[[], T] | None = None
        self._async_next: Callable[[], Awaitable[T]] | None = None
        self._pull_lock = asyncio.Lock()
        self._workers: list[asyncio.Task[None]] = []
        self._live_workers = 0

    async def run(
        self,
        items: Iterable[T] | AsyncIterable[T],
        *,
        start: Callable[[], None] | None = None,
        end: Callable[[], None] | None = None,
    ) -> AsyncGenerator[R, None]:
        """Yield one result per input item (completion order, or input order if ``ordered``).

        ``start`` runs when iteration starts (it may raise: nothing else happens then); ``end``
        runs once the stream is over and its workers are stopped, however it ended.
        """
        if start is not None:
            start()
        self._bind_source(items)
        loop = asyncio.get_running_loop()
        self._spawn_worker(loop)
        stats = self._stats
        try:
            while True:
                if self._failure is not None:
                    raise self._failure
                result = self._take()
                if result is not None:
                    stats.window -= 1
                    stats.buffered -= 1
                    stats.handed_back += 1
                    self._held = 1
                    yield result[0]
                    self._held = 0
                    self._wake_workers()
                    continue
                if self._live_workers == 0:
                    break
                self._consumer_wake = loop.create_future()
                await self._consumer_wake
        finally:
            try:
                self._exhausted = True  # no worker takes another item, even one not cancelled
                self._wake_workers()
                await stop_tasks(self._workers)
            finally:
                if end is not None:
                    end()
        if self._source_error is not None:
            raise self._source_error

    def _bind_source(self, items: Iterable[T] | AsyncIterable[T]) -> None:
        if isinstance(items, AsyncIterable):
            self._async_next = items.__aiter__().__anext__
        else:
            self._sync_next = iter(items).__next__

    def _take(self) -> tuple[R] | None:
        """The next result to hand back, if one is ready (a 1-tuple: results may be falsy)."""
        if self._ordered:
            if self._next_out in self._by_index:
                result = self._by_index.pop(self._next_out)
                self._next_out += 1
                return (result,)
            return None
        if self._done:
            return (self._done.popleft(),)
        return None

    async def _work(self) -> None:
        # Perf: runs once per item; the steps are inlined (each method call costs per item).
        loop = asyncio.get_running_loop()
        stats, size = self._stats, self._size
        try:
            while True:
                while stats.window + self._held >= size and not self._exhausted:  # no room
                    waiter = loop.create_future()
                    self._room_waiters.append(waiter)
                    await waiter
                if self._exhausted:
                    return
                pull = self._sync_next
                if pull is not None:
                    try:
                        item = pull()
                    except StopIteration:
                        self._exhausted = True
                        return
                    except Exception as exc:  # the caller's iterator failed: drain, then raise
                        self._exhausted = True
                        self._source_error = exc
                        return
                else:
                    pulled = await self._pull_async()
                    if pulled is _END:
                        return
                    item = pulled  # type: ignore[assignment]
                index = self._next_index
                self._next_index += 1
                stats.pulled += 1
                stats.window += 1
                if stats.window > stats.max_window:
                    stats.max_window = stats.window
                if len(self._workers) < self._concurrency:
                    self._spawn_worker(loop)  # the input has items: one more worker
                prepared = self._prepare(index, item)
                result: R = (
                    await prepared if isinstance(prepared, CoroutineType) else prepared  # type: ignore[assignment]
                )
                if self._ordered:
                    self._by_index[index] = result
                else:
                    self._done.append(result)
                stats.buffered += 1
                if stats.buffered > stats.max_buffered:
                    stats.max_buffered = stats.buffered
                wake = self._consumer_wake
                if wake is not None and not wake.done():
                    wake.set_result(None)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug in a job: end the stream with it
            if self._failure is None:
                self._failure = exc
            self._exhausted = True
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt, SystemExit: also stop the loop
        finally:
            self._live_workers -= 1
            self._wake_consumer()
            self._wake_workers()

    def _spawn_worker(self, loop: asyncio.AbstractEventLoop) -> None:
        self._workers.append(loop.create_task(self._work()))
        self._live_workers += 1

    async def _pull_async(self) -> T | object:
        """The next item of an async iterable (one puller at a time), or ``_END``."""
        assert self._async_next is not None
        async with self._pull_lock:
            if self._exhausted:
                return _END
            try:
                item: T = await self._async_next()
            except StopAsyncIteration:
                self._exhausted = True
            except Exception as exc:  # the caller's iterator failed: drain, then raise
                self._exhausted = True
                self._source_error = exc
            else:
                return item
        return _END

    def _wake_consumer(self) -> None:
        wake = self._consumer_wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _wake_workers(self) -> None:
        """Let as many waiting workers go as there is room (all of them once input ended)."""
        room = self._size - self._stats.window - self._held
        waiters = self._room_waiters
        while waiters and (room > 0 or self._exhausted):
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                room -= 1
