"""The engine behind :class:`~confirma_async.pagination.AsyncPager`.

It plans date windows lazily, keeps at most ``prefetch + 1`` of them fetched or in flight (the one
the consumer holds counts), settles each window strictly in order when the consumer reaches it, and
splits a window in two when the answer was cut (A11 ``totalCount``, or a size hint) or the request
failed in a way a narrower window may avoid (413, timeout, 5xx). Window fetches run as tasks that
*return* their exception instead of raising it, so a failure surfaces only when the consumer reaches
that window and no task ever ends with an unretrieved exception.

Stopping: :meth:`WindowEngine.cancel` (synchronous) cancels outstanding fetches; the iterators in
``iterators`` call it when they are dropped, and :meth:`WindowEngine.aclose` also waits for them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from .._core.tasks import keep_cancelled, stop_tasks
from ..errors import (
    APITimeoutError,
    PaginationError,
    PayloadTooLargeError,
    ResponseTooLargeError,
    ServerError,
    WindowTruncatedError,
)
from .checkpoints import Resume, encode_checkpoint
from .pages import Held, PagerStats, Unbuilt, WindowFetch, WindowResult, built
from .windows import ONE_DAY, split_window

T = TypeVar("T")

GROW_AFTER = 4
"""Consecutive clean windows at a reduced size after which the planned size doubles again."""

# Cancelled fetch tasks stay referenced here until they have finished unwinding.
_CANCELLED: set[asyncio.Task[Any]] = set()


class _Slot:
    """A planned window and, once started, the task fetching it."""

    __slots__ = ("end", "start", "task")

    def __init__(self, start: date, end: date) -> None:
        self.start = start
        self.end = end
        self.task: asyncio.Task[WindowResult[Any] | Exception] | None = None


class WindowEngine(Generic[T]):
    """Window planning, bounded prefetch, adaptive splitting, de-duplication and checkpoints."""

    def __init__(
        self,
        *,
        fetch: WindowFetch[T],
        key: Callable[[T], Hashable],
        source: str,
        start: date,
        end: date,
        window_days: int,
        min_days: int,
        prefetch: int,
        max_records_hint: int | None,
        resume: Resume | None,
    ) -> None:
        self.source = source
        self.end = end
        self.stats = PagerStats()
        self.finished = False
        self.page: Held[T] | None = None
        self.pos = 0
        """Records of ``page`` handed to the consumer so far."""
        self._fetch = fetch
        self._key = key
        self._window_days = window_days
        self._size = window_days
        self._min_days = min_days
        self._limit = prefetch + 1
        self._hint = max_records_hint
        self._calm = 0
        self._slots: deque[_Slot] = deque()
        self._cursor = start if resume is None else max(start, resume.next)
        self._next = self._cursor
        self._skip: set[Hashable] = set() if resume is None else set(resume.skip)
        self._skip_through = None if resume is None else resume.skip_through
        self._prev_keys: set[Hashable] = set()
        self._cancelled: list[asyncio.Task[Any]] = []
        self._handed_keys: list[Hashable] = []  # keys of ``page.items[:pos]``, filled lazily

    # -- consumer side -------------------------------------------------------------------------

    async def next_page(self, *, whole: bool) -> Held[T] | None:
        """Release the page the consumer held and return the next one (``None`` at the end).

        ``whole`` hands the page out as consumed at once (``pages()``, its records built);
        otherwise the item iterator advances :attr:`pos` record by record (and builds
        :class:`Unbuilt` records as it goes).
        """
        self._release()
        while not self.finished:
            if not self._slots and self._cursor > self.end:
                self.finished = True
                return None
            self._fill()
            slot = self._slots[0]
            assert slot.task is not None
            try:
                outcome = await slot.task
            except BaseException:
                self.cancel()
                raise
            self._slots.popleft()
            page = self._settle(slot, outcome)
            if page is not None:
                if whole:
                    page.items = built(page.items)
                self._hand_out(page, whole)
                return page
        return None

    def checkpoint(self) -> dict[str, Any]:
        """JSON data to resume after the last record handed to the consumer."""
        page = self.page
        skip: list[Hashable] = []
        through = self._skip_through
        if page is not None and self.pos < len(page.items):
            next_date = page.start
            handed = self._handed_keys
            if len(handed) < self.pos:  # computed once per record, however often this is read
                key = self._key
                rows = page.items.rows if isinstance(page.items, Unbuilt) else page.items
                handed.extend(key(row) for row in rows[len(handed) : self.pos])
            skip = [k for k in handed[: self.pos] if k is not None]
            through = page.end if through is None else max(through, page.end)
        else:
            next_date = self._next if page is None else page.end + ONE_DAY
        if self._skip and self._skip_through is not None and self._skip_through >= next_date:
            skip.extend(self._skip)
        return encode_checkpoint(
            source=self.source, end=self.end, next_date=next_date, skip=skip, skip_through=through
        )

    def cancel(self) -> None:
        """Stop: cancel every outstanding fetch (synchronously; safe from ``__del__``)."""
        self.finished = True
        # Kept cancelled: a fetch whose cancellation aiohttp lost would go on retrying.
        for task in keep_cancelled(slot.task for slot in self._slots if slot.task is not None):
            self._cancelled.append(task)
            _CANCELLED.add(task)
            task.add_done_callback(_CANCELLED.discard)
        self._slots.clear()

    async def aclose(self) -> None:
        """Cancel outstanding fetches and wait until they (and earlier cancelled ones) finished."""
        self.cancel()
        pending, self._cancelled = self._cancelled, []
        await stop_tasks(pending)  # a fetch that loses its cancellation is cancelled again

    # -- planning and fetching -----------------------------------------------------------------

    def _fill(self) -> None:
        held = sum(1 for slot in self._slots if slot.task is not None)
        for slot in self._slots:  # split halves sit in front of windows already in flight
            if held >= self._limit and slot is not self._slots[0]:
                break
            if slot.task is None:
                self._start(slot)
                held += 1
        while held < self._limit and self._cursor <= self.end:
            slot = self._plan()
            self._slots.append(slot)
            self._start(slot)
            held += 1
        if held > self.stats.max_buffered_windows:
            self.stats.max_buffered_windows = held

    def _plan(self) -> _Slot:
        start = self._cursor
        end = min(self.end, start + timedelta(days=self._size - 1))
        self._cursor = end + ONE_DAY
        return _Slot(start, end)

    def _start(self, slot: _Slot) -> None:
        self.stats.requests += 1
        slot.task = asyncio.create_task(
            self._run(slot.start, slot.end),
            name=f"confirma-pager {self.source} {slot.start}..{slot.end}",
        )

    async def _run(self, start: date, end: date) -> WindowResult[T] | Exception:
        stats = self.stats
        stats.in_flight += 1
        if stats.in_flight > stats.max_in_flight:
            stats.max_in_flight = stats.in_flight
        try:
            return await self._fetch(start, end)
        except Exception as exc:  # settled in window order by the consumer
            return exc
        finally:
            stats.in_flight -= 1

    # -- settling a window ---------------------------------------------------------------------

    def _settle(self, slot: _Slot, outcome: WindowResult[T] | Exception) -> Held[T] | None:
        days = (slot.end - slot.start).days + 1
        if isinstance(outcome, Exception):
            if days > 1 and self._splittable(outcome, days):
                self._split(slot, days)
                return None
            self.cancel()
            message = str(outcome) or type(outcome).__name__
            raise PaginationError(
                message, source=self.source, window_start=slot.start, window_end=slot.end
            ) from outcome
        items, total = outcome.items, outcome.total_count
        if total is not None:
            truncated = total > len(items)
        else:
            truncated = self._hint is not None and len(items) >= self._hint
        if truncated:
            if days > 1:
                self._split(slot, days)
                return None
            self.cancel()
            raise WindowTruncatedError(
                source=self.source,
                window_start=slot.start,
                window_end=slot.end,
                returned=len(items),
                total=total,
            )
        self._maybe_grow(days)
        if not isinstance(items, Unbuilt):
            return Held(slot.start, slot.end, self._dedupe(slot.start, items))
        rows = self._dedupe(slot.start, items.rows)  # by the rows' keys; built as they are reached
        return Held(slot.start, slot.end, Unbuilt(rows, items.build))

    def _splittable(self, error: Exception, days: int) -> bool:
        if isinstance(error, PayloadTooLargeError | ResponseTooLargeError):
            return True  # the window itself is the problem: split down to one day
        return isinstance(error, APITimeoutError | ServerError) and days > self._min_days

    def _split(self, slot: _Slot, days: int) -> None:
        left, right = split_window(slot.start, slot.end)
        self._slots.appendleft(_Slot(*right))
        self._slots.appendleft(_Slot(*left))
        self.stats.splits += 1
        self._size = min(self._size, (days + 1) // 2)
        self._calm = 0

    def _maybe_grow(self, days: int) -> None:
        if self._size >= self._window_days or days < self._size:
            return
        self._calm += 1
        if self._calm >= GROW_AFTER:
            self._size = min(self._window_days, self._size * 2)
            self._calm = 0

    def _dedupe(self, start: date, items: Sequence[Any]) -> list[Any]:
        key, prev = self._key, self._prev_keys
        skip: set[Hashable] | None = None
        if self._skip:
            if self._skip_through is not None and start <= self._skip_through:
                skip = self._skip
            else:
                self._skip = set()  # past the resumed window: nothing left to skip
        keys = list(map(key, items))
        seen: set[Hashable] = set(keys)
        if (
            len(seen) == len(keys)
            and None not in seen
            and seen.isdisjoint(prev)
            and (skip is None or seen.isdisjoint(skip))
        ):  # the usual page: nothing to drop, checked at C speed
            self._prev_keys = seen
            return list(items)
        seen = set()
        out: list[T] = []
        for item in items:
            k = key(item)
            if k is None:  # a record without a key (a guessed field not read): always kept
                out.append(item)
            elif k in seen or k in prev:
                self.stats.duplicates += 1
            elif skip is not None and k in skip:
                self.stats.skipped += 1
            else:
                seen.add(k)
                out.append(item)
        self._prev_keys = seen
        return out

    def _hand_out(self, page: Held[T], whole: bool) -> None:
        self.page = page
        self._handed_keys = []
        self.pos = len(page.items) if whole else 0
        stats = self.stats
        stats.pages += 1
        stats.items += len(page.items)
        held = 1 + sum(1 for slot in self._slots if slot.task is not None)
        if held > stats.max_buffered_windows:
            stats.max_buffered_windows = held

    def _release(self) -> None:
        if self.page is not None:
            self._next = self.page.end + ONE_DAY
            self.page = None
            self.pos = 0
