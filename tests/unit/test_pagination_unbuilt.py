"""Windows whose records come unbuilt: the pager builds them as the consumer reaches them.

A fetch may return ``WindowResult(items=Unbuilt(rows, build))`` (the client's distribution fetch
does, for pages msgspec decoded): rows answer the pager's key like their records, and the pager
yields exactly what it would yield for the built records, building a chunk at a time and letting
go of what the consumer has passed, so a streamed record dies young.
"""

from __future__ import annotations

import gc
import weakref
from datetime import date, timedelta
from typing import Any

import attrs

from confirma_async.pagination import AsyncPager, WindowResult
from confirma_async.pagination.iterators import CHUNK
from confirma_async.pagination.pages import Unbuilt

from .pagination_fakes import START, FakeListing, Rec, drain, key

D = timedelta(days=1)


@attrs.frozen
class Built:
    """A record built from a ``(day, n)`` row (slotted, so it can be weakly referenced)."""

    day: date
    n: int


class Builder:
    """``build`` of the rows; counts the records it built."""

    def __init__(self) -> None:
        self.built = 0

    def __call__(self, rows: list[Rec]) -> list[Built]:
        self.built += len(rows)
        return [Built(day=d, n=n) for d, n in rows]


class UnbuiltListing(FakeListing):
    """The same listing, answering its records unbuilt."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.build = Builder()

    async def fetch(self, start: date, end: date) -> WindowResult[Any]:
        result = await super().fetch(start, end)
        rows = list(result.items)
        return WindowResult(items=Unbuilt(rows, self.build), total_count=result.total_count)

    def pager(self, start: date = START, end: date | None = None, **kw: Any) -> AsyncPager[Any]:
        return AsyncPager(
            self.fetch, start=start, end=end or start + 9 * D, key=key, source="/fake", **kw
        )


def as_built(records: list[Rec]) -> list[Built]:
    return [Built(day=d, n=n) for d, n in records]


async def test_unbuilt_windows_yield_what_built_windows_yield() -> None:
    # Cut windows that split, and records repeated across window edges (de-duplicated by key).
    options: dict[str, Any] = {"per_day": lambda d: 700 + d.day, "cap": 2000, "overlap": True}
    plain, lazy = FakeListing(**options), UnbuiltListing(**options)
    expected = as_built(await plain.pager(window=4 * D).to_list())
    pager = lazy.pager(window=4 * D)
    got = [record async for record in pager]
    assert got == expected
    assert pager.stats.splits > 0
    assert pager.stats.duplicates > 0


async def test_records_are_built_a_chunk_at_a_time_as_the_consumer_reaches_them() -> None:
    listing = UnbuiltListing(per_day=lambda d: 3 * CHUNK)
    iterator = aiter(listing.pager(end=START))
    await anext(iterator)
    assert listing.build.built == CHUNK
    for _ in range(CHUNK):
        await anext(iterator)
    assert listing.build.built == 2 * CHUNK


async def test_a_record_the_consumer_passed_is_not_held_by_the_pager() -> None:
    listing = UnbuiltListing(per_day=lambda d: 3 * CHUNK)
    iterator = aiter(listing.pager(end=START))
    first = weakref.ref(await anext(iterator))
    for _ in range(2 * CHUNK):
        await anext(iterator)
    assert first() is None  # freed by reference counting: no collection was needed
    assert gc.is_tracked(await anext(iterator))  # (records are containers the collector tracks)


async def test_pages_hand_out_built_lists() -> None:
    plain, lazy = FakeListing(), UnbuiltListing()
    pages = [page async for page in lazy.pager().pages()]
    assert all(type(page.items) is list for page in pages)
    assert [r for page in pages for r in page.items] == as_built(await plain.pager().to_list())


async def test_checkpoint_inside_an_unbuilt_window_resumes_without_gaps_or_repeats() -> None:
    listing = UnbuiltListing(per_day=lambda d: CHUNK + 10)
    everything = await UnbuiltListing(per_day=lambda d: CHUNK + 10).pager().to_list()
    first = listing.pager()
    head = await first.to_list(limit=CHUNK + 3 + (CHUNK + 10))  # into the second window
    rest: list[Built] = []
    await drain(listing.pager(resume_from=first.checkpoint), rest)
    assert head + rest == everything
