"""The iterators an :class:`~confirma_async.pagination.AsyncPager` hands out.

``async for`` has no close hook, so stopping early relies on the iterator itself: a ``break``, an
exception in the loop body or a cancellation drops the iterator the loop held, and its ``__del__``
cancels the outstanding window fetches at once (CPython frees it as soon as the loop lets go; the
pager object the caller may still hold is not involved). ``aclose()`` / ``async with pager``
additionally wait until the cancelled fetches have finished.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from .engine import WindowEngine
from .pages import Page

T = TypeVar("T")


class PageIterator(Generic[T]):
    """The iterator ``pager.pages()`` returns: one :class:`Page` per window."""

    __slots__ = ("_engine",)

    def __init__(self, engine: WindowEngine[T]) -> None:
        self._engine = engine

    def __aiter__(self) -> PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        page = await self._engine.next_page(whole=True)
        if page is None:
            raise StopAsyncIteration
        return page

    async def aclose(self) -> None:
        """Stop early: cancel outstanding fetches and wait for them."""
        await self._engine.aclose()

    def __del__(self) -> None:
        self._engine.cancel()


class ItemIterator(Generic[T]):
    """The iterator ``async for item in pager`` uses: records in window order."""

    __slots__ = ("_engine", "_i", "_items", "_n")

    def __init__(self, engine: WindowEngine[T]) -> None:
        self._engine = engine
        self._items: list[T] = []
        self._i = 0
        self._n = 0

    def __aiter__(self) -> ItemIterator[T]:
        return self

    async def __anext__(self) -> T:
        i = self._i
        if i < self._n:
            self._i = self._engine.pos = i + 1
            return self._items[i]
        while True:
            page = await self._engine.next_page(whole=False)
            if page is None:
                self._items, self._n = [], 0
                raise StopAsyncIteration
            if page.items:
                break
        self._items, self._n = page.items, len(page.items)
        self._i = self._engine.pos = 1
        return self._items[0]

    async def aclose(self) -> None:
        """Stop early: cancel outstanding fetches and wait for them."""
        await self._engine.aclose()

    def __del__(self) -> None:
        self._engine.cancel()
