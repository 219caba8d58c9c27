"""A scripted date-window listing for pager unit tests (no HTTP).

Records are ``(day, n)`` tuples, keyed by ``(iso day, n)``, ordered by day then ``n``. A window
answers at most ``cap`` records: with ``counted=True`` (like A11) it reports ``total_count`` of
every match, otherwise it raises 413 like the payment listing. Fetches can be held on a gate, fail
on demand, and are logged, so tests assert order, bounds and cancellation without timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from confirma_async import PayloadTooLargeError
from confirma_async.pagination import AsyncPager, WindowResult

Rec = tuple[date, int]
START = date(2026, 1, 1)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def key(rec: Rec) -> tuple[str, int]:
    return (rec[0].isoformat(), rec[1])


class FakeListing:
    def __init__(
        self,
        per_day: Callable[[date], int] = lambda d: 3,
        *,
        cap: int | None = None,
        counted: bool = True,
        overlap: bool = False,
    ) -> None:
        self.per_day = per_day
        self.cap = cap
        self.counted = counted
        self.overlap = overlap  # also return the first record of the next day (a fuzzy edge)
        self.calls: list[tuple[date, date]] = []
        self.started: list[tuple[date, date]] = []
        self.cancelled: list[tuple[date, date]] = []
        self.failures: dict[tuple[date, date], list[Exception]] = {}
        self.gate: asyncio.Event | None = None
        self.hold: Callable[[date], bool] = lambda start: False  # never answer these windows
        self.in_flight = 0
        self.max_in_flight = 0

    def records(self, start: date, end: date) -> list[Rec]:
        out = [(d, n) for d in days(start, end) for n in range(self.per_day(d))]
        nxt = end + timedelta(days=1)
        if self.overlap and self.per_day(nxt):
            out.append((nxt, 0))
        return out

    def fail(self, start: date, end: date, *errors: Exception) -> None:
        self.failures[(start, end)] = list(errors)

    async def fetch(self, start: date, end: date) -> WindowResult[Rec]:
        window = (start, end)
        self.started.append(window)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.hold(start):
                await asyncio.Event().wait()
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            self.cancelled.append(window)
            raise
        finally:
            self.in_flight -= 1
        self.calls.append(window)
        pending = self.failures.get(window)
        if pending:
            raise pending.pop(0)
        found = self.records(start, end)
        if self.cap is not None and len(found) > self.cap:
            if not self.counted:
                raise PayloadTooLargeError("too many", status=413, code="WINDOW_TOO_LARGE")
            return WindowResult(items=found[: self.cap], total_count=len(found))
        return WindowResult(items=found, total_count=len(found) if self.counted else None)

    def pager(self, start: date = START, end: date | None = None, **kw: Any) -> AsyncPager[Rec]:
        return AsyncPager(
            self.fetch,
            start=start,
            end=end or start + timedelta(days=9),
            key=key,
            source="/fake",
            **kw,
        )


def pager_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("confirma-pager")]


async def drain(iterable: Any, into: list[Any]) -> None:
    """Append everything ``iterable`` yields to ``into`` (inspectable after a raise)."""
    async for item in iterable:
        into.append(item)


async def settle() -> None:
    """Let cancelled tasks unwind: a bounded number of loop turns, no wall-clock waiting."""
    for _ in range(20):
        if not pager_tasks():
            return
        await asyncio.sleep(0)
