"""The iterators an :class:`~confirma_async.pagination.AsyncPager` hands out.

``async for`` has no close hook, so stopping early relies on the iterator itself: a ``break``, an
exception in the loop body or a cancellation drops the iterator the loop held, and its ``__del__``
cancels the outstanding window fetches at once (CPython frees it as soon as the loop lets go; the
pager object the caller may still hold is not involved). ``aclose()`` / ``async with pager``
additionally wait until the cancelled fetches have finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from .engine import WindowEngine
from .pages import Page, Unbuilt, built

T = TypeVar("T")

CHUNK = 256
"""Records of an :class:`Unbuilt` window built at a time: well under the collector's young
generation threshold (700), so records the consumer drops die before a collection sees them."""


class PageIterator(Generic[T]):
    """The iterator ``pager.pages()`` returns: one :class:`Page` per window."""

    __slots__ = ("_engine",)

    def __init__(self, engine: WindowEngine[T]) -> None:
        self._engine = engine

    def __aiter__(self) -> PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        held = await self._engine.next_page(whole=True)
        if held is None:
            raise StopAsyncIteration
        return Page(start=held.start, end=held.end, items=built(held.items))

    async def aclose(self) -> None:
        """Stop early: cancel outstanding fetches and wait for them."""
        await self._engine.aclose()

    def __del__(self) -> None:
        self._engine.cancel()


class ItemIterator(Generic[T]):
    """The iterator ``async for item in pager`` uses: records in window order."""

    __slots__ = ("_engine", "_i", "_items", "_n", "_total", "_unbuilt")

    def __init__(self, engine: WindowEngine[T]) -> None:
        self._engine = engine
        self._items: list[Any] = []
        self._unbuilt: Unbuilt[T] | None = None
        self._i = 0
        self._n = 0
        """Records of ``_items`` built (all of them, unless the window is unbuilt)."""
        self._total = 0

    def __aiter__(self) -> ItemIterator[T]:
        return self

    async def __anext__(self) -> T:
        i = self._i
        if i < self._n:
            self._i = self._engine.pos = i + 1
            item: T = self._items[i]
            return item
        if i < self._total:
            self._build(i)
        else:
            while True:
                page = await self._engine.next_page(whole=False)
                if page is None:
                    self._items, self._n, self._total, self._unbuilt = [], 0, 0, None
                    raise StopAsyncIteration
                if page.items:
                    break
            self._open(page.items)
            i = 0
        self._i = self._engine.pos = i + 1
        item = self._items[i]
        return item

    def _open(self, items: Sequence[T]) -> None:
        self._total = len(items)
        if isinstance(items, Unbuilt):
            self._unbuilt = items
            self._items = [None] * self._total
            self._build(0)
        else:
            self._unbuilt = None
            self._items = items if isinstance(items, list) else list(items)
            self._n = self._total

    def _build(self, i: int) -> None:
        """Build the records from ``i`` on (a chunk) and let the previous chunk go."""
        unbuilt, items = self._unbuilt, self._items
        assert unbuilt is not None
        if i:
            items[i - CHUNK : i] = [None] * CHUNK
        end = min(i + CHUNK, self._total)
        items[i:end] = unbuilt.build(unbuilt.rows[i:end])
        self._n = end

    async def aclose(self) -> None:
        """Stop early: cancel outstanding fetches and wait for them."""
        await self._engine.aclose()

    def __del__(self) -> None:
        self._engine.cancel()
