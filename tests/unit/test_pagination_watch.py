"""DistributionWatcher with a scripted listing and a fake clock: changes, checkpoints, lookback."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from confirma_async import DistributionRecord, DistributionWatcher, RequestValidationError
from confirma_async.pagination import PagerStateError, WindowResult

from .pagination_fakes import pager_tasks, settle

D = timedelta(days=1)
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def rec(number: int, day: date, status: str = "QUEUED", minute: int = 0) -> DistributionRecord:
    stamp = datetime(day.year, day.month, day.day, 10, minute, tzinfo=UTC)
    return DistributionRecord(
        invoice_number=number,
        invoice_date=day,
        distribution_method="EMAIL",
        distribution_status=status,
        payment_control_status="NONE",
        created_at=stamp,
        updated_at=stamp,
    )


class World:
    """Records by invoice number, a clock, and a sleep that moves the clock."""

    def __init__(self) -> None:
        self.now = T0
        self.records: dict[int, DistributionRecord] = {}
        self.windows: list[tuple[date, date]] = []
        self.sleeps = 0
        self.stop_after: int | None = None
        self.on_sleep: Any = None

    async def fetch(self, start: date, end: date) -> WindowResult[DistributionRecord]:
        self.windows.append((start, end))
        found = sorted(
            (r for r in self.records.values() if start <= r.invoice_date <= end),
            key=lambda r: (r.invoice_date, r.invoice_number),
        )
        return WindowResult(items=found, total_count=len(found))

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.stop_after is not None and self.sleeps >= self.stop_after:
            raise EOFError
        self.now += timedelta(seconds=seconds)
        if self.on_sleep is not None:
            self.on_sleep(self)

    def watcher(self, **kw: Any) -> DistributionWatcher:
        options: dict[str, Any] = {
            "since": date(2026, 3, 1),
            "interval": timedelta(hours=1),
            "lookback": timedelta(days=5),
            "clock": lambda: self.now,
            "sleep": self.sleep,
        }
        options.update(kw)
        return DistributionWatcher(self.fetch, source="/invoice/distribution", **options)


async def take(watcher: DistributionWatcher, n: int) -> list[DistributionRecord]:
    out: list[DistributionRecord] = []
    async for record in watcher:
        out.append(record)
        if len(out) == n:
            break
    return out


async def drain_until_stopped(watcher: DistributionWatcher) -> list[DistributionRecord]:
    out: list[DistributionRecord] = []
    try:
        async for record in watcher:
            out.append(record)
    except EOFError:
        pass
    return out


async def test_new_and_changed_records_are_yielded_once() -> None:
    world = World()
    today = T0.date()
    world.records = {1: rec(1, today), 2: rec(2, today - D)}

    def change(w: World) -> None:
        if w.sleeps == 1:
            w.records[1] = rec(1, today, "DELIVERED", minute=5)  # status + timestamp change
            w.records[3] = rec(3, today)  # a new one
        if w.sleeps == 2:
            w.records[2] = rec(2, today - D, minute=9)  # only a timestamp changes

    world.on_sleep = change
    world.stop_after = 4
    got = await drain_until_stopped(world.watcher())
    assert [(r.invoice_number, str(r.distribution_status), r.updated_at.minute) for r in got] == [
        (2, "QUEUED", 0),
        (1, "QUEUED", 0),
        (1, "DELIVERED", 5),
        (3, "QUEUED", 0),
        (2, "QUEUED", 9),
    ]


async def test_polls_cover_since_or_lookback_to_tomorrow() -> None:
    world = World()
    world.stop_after = 2
    await drain_until_stopped(world.watcher(since=date(2026, 1, 1)))
    assert world.windows[0] == (date(2026, 3, 5), date(2026, 3, 5))  # today - 5 days
    assert world.windows[-1] == (date(2026, 3, 11), date(2026, 3, 11))  # tomorrow (UTC)


async def test_checkpoint_forgets_days_behind_the_lookback_horizon() -> None:
    world = World()
    today = T0.date()
    world.records = {n: rec(n, today - n * D) for n in range(5)}
    watcher = world.watcher(since=date(2026, 1, 1), interval=timedelta(days=2))
    it = aiter(watcher)
    for _ in range(5):
        await anext(it)
    days = [(today - n * D).isoformat() for n in range(4, -1, -1)]
    assert sorted(watcher.checkpoint["seen"]) == days
    world.stop_after = 2
    with pytest.raises(EOFError):
        await anext(it)  # the poll two days later finds nothing new, then the fake sleep stops
    assert watcher.stats.polls == 2
    assert sorted(watcher.checkpoint["seen"]) == days[1:]  # March 6 < March 12 - 5 days: gone


async def test_restart_from_checkpoint_yields_only_what_is_left() -> None:
    world = World()
    today = T0.date()
    world.records = {n: rec(n, today) for n in range(1, 6)}
    first = world.watcher()
    assert [r.invoice_number for r in await take(first, 2)] == [1, 2]
    saved = json.loads(json.dumps(first.checkpoint))
    world.stop_after = 1
    rest = await drain_until_stopped(world.watcher(checkpoint=saved, since=None))
    assert [r.invoice_number for r in rest] == [3, 4, 5]


async def test_break_leaves_no_tasks_and_a_watcher_runs_once() -> None:
    world = World()
    world.records = {1: rec(1, T0.date() - 3 * D)}
    watcher = world.watcher()
    assert len(await take(watcher, 1)) == 1
    await settle()
    assert pager_tasks() == []
    with pytest.raises(PagerStateError):
        aiter(watcher)
    await watcher.aclose()


async def test_aclose_stops_a_running_poll() -> None:
    world = World()
    gate = asyncio.Event()
    inner = world.fetch

    async def slow_fetch(start: date, end: date) -> WindowResult[DistributionRecord]:
        if start > T0.date() - 5 * D:
            await gate.wait()
        return await inner(start, end)

    world.fetch = slow_fetch  # type: ignore[method-assign]
    world.records = {1: rec(1, T0.date() - 5 * D)}
    async with world.watcher() as watcher:
        it = aiter(watcher)
        assert (await anext(it)).invoice_number == 1
        await asyncio.sleep(0)
        assert len(pager_tasks()) == 2
    assert pager_tasks() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"since": None}, "since"),
        ({"interval": -1}, "interval"),
        ({"lookback": timedelta(hours=5)}, "lookback"),
        ({"checkpoint": {"kind": "other"}}, "checkpoint"),
        ({"checkpoint": {"kind": "distribution-watch", "version": 1, "since": "x"}}, "checkpoint"),
    ],
)
def test_bad_watch_arguments(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        World().watcher(**kwargs)
    assert info.value.field == field


def test_clock_objects_with_now_are_accepted() -> None:
    class Clock:
        def now(self) -> datetime:
            return T0

    assert World().watcher(clock=Clock()).checkpoint["since"] == "2026-03-01"
