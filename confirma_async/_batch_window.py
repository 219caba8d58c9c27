"""The sliding window behind the batch submitter: bounded work, lazy intake, per-item results.

At most ``concurrency`` items run at once (one task each), and at most ``2 * concurrency`` items
are taken from the input and not yet handed back (running, or finished and waiting for the
consumer). A new input item is pulled only while both bounds allow it, so once the consumer stops
taking results, intake stops too: memory stays O(``concurrency``) whatever the length of the input
(an endless generator included). The extra ``concurrency`` of room lets new requests start while
finished results wait for a consumer that is busy for a moment, so the requests in flight do not
drop below ``concurrency`` just because results were not taken yet. In ordered mode the window is
a queue in input order and results leave it from the front only.

Closing the stream (``break``, ``aclose``, task cancellation, Ctrl-C under ``asyncio.run``)
cancels the running tasks and waits for them, so no task outlives the stream.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Coroutine, Iterable, Iterator
from typing import Any, Generic, TypeVar

import attrs

T = TypeVar("T")
R = TypeVar("R")


@attrs.define(kw_only=True)
class BatchStats:
    """Live counters of one batch stream (reset when a stream starts); for tests and metrics.

    ``in_flight`` counts requests being sent right now; ``window`` the items taken from the input
    and not yet handed back (running or finished); ``buffered`` the finished ones among them.
    ``max_*`` are the peaks. ``pulled - handed_back == window`` at every hand-back.
    """

    pulled: int = 0
    handed_back: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    window: int = 0
    max_window: int = 0
    buffered: int = 0
    max_buffered: int = 0
    requests: int = 0
    lookups: int = 0
    resends: int = 0


class _Slot(Generic[R]):
    __slots__ = ("done", "result")

    def __init__(self) -> None:
        self.done = False
        self.result: R | None = None


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
        self._slots: deque[_Slot[R]] = deque()  # ordered: every pending item; else finished
        self._tasks: set[asyncio.Task[R]] = set()
        self._wake: asyncio.Future[None] | None = None
        self._failure: BaseException | None = None

    async def run(self, items: Iterable[T] | AsyncIterable[T]) -> AsyncGenerator[R, None]:
        """Yield one result per input item (completion order, or input order if ``ordered``)."""
        pull = _puller(items)
        stats = self._stats
        loop = asyncio.get_running_loop()
        exhausted = False
        source_error: BaseException | None = None
        index = 0
        try:
            while True:
                while (
                    not exhausted
                    and stats.window < self._size
                    and len(self._tasks) < self._concurrency
                ):
                    try:
                        item = await pull()
                    except StopAsyncIteration:
                        exhausted = True
                        break
                    except Exception as exc:  # the caller's iterator failed: drain, then raise
                        exhausted, source_error = True, exc
                        break
                    stats.pulled += 1
                    self._start(loop, index, item)
                    index += 1
                slot = self._next_finished()
                if slot is not None:
                    stats.window -= 1
                    stats.buffered -= 1
                    stats.handed_back += 1
                    result = slot.result
                    slot.result = None
                    yield result  # type: ignore[misc]
                    continue
                if self._failure is not None:
                    raise self._failure
                if not self._tasks:
                    break
                self._wake = loop.create_future()
                await self._wake
        finally:
            await self._cancel_running()
        if source_error is not None:
            raise source_error

    def _start(self, loop: asyncio.AbstractEventLoop, index: int, item: T) -> None:
        stats = self._stats
        stats.window += 1
        stats.max_window = max(stats.max_window, stats.window)
        slot: _Slot[R] = _Slot()
        if self._ordered:
            self._slots.append(slot)
        prepared = self._prepare(index, item)
        if not asyncio.iscoroutine(prepared):
            self._finish(slot, prepared)
            return
        task = loop.create_task(prepared)
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._task_done, slot))

    def _task_done(self, slot: _Slot[R], task: asyncio.Task[R]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self._failure = self._failure or error
        else:
            self._finish(slot, task.result())
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def _finish(self, slot: _Slot[R], result: R) -> None:
        slot.result = result
        slot.done = True
        if not self._ordered:
            self._slots.append(slot)
        stats = self._stats
        stats.buffered += 1
        stats.max_buffered = max(stats.max_buffered, stats.buffered)

    def _next_finished(self) -> _Slot[R] | None:
        slots = self._slots
        if slots and slots[0].done:
            return slots.popleft()
        return None

    async def _cancel_running(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            # Wait even if we are being cancelled ourselves: no task may outlive the stream.
            await asyncio.shield(asyncio.wait(tasks))


def _puller(items: Iterable[T] | AsyncIterable[T]) -> Callable[[], Any]:
    if isinstance(items, AsyncIterable):
        return items.__aiter__().__anext__
    iterator: Iterator[T] = iter(items)

    async def pull() -> T:
        try:
            return next(iterator)
        except StopIteration:
            raise StopAsyncIteration from None

    return pull
