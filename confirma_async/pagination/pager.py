"""The public pager: :class:`AsyncPager`, one listing across an inclusive date range."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from datetime import date, timedelta
from typing import Any, Generic, TypedDict, TypeVar

from .._core.checks import check_date, non_negative_int, positive_int, whole_days
from .._core.closing import AsyncClosing
from ..errors import PagerStateError, RequestValidationError
from .checkpoints import decode_checkpoint
from .engine import WindowEngine
from .iterators import ItemIterator, PageIterator
from .pages import Page, PagerStats, WindowFetch
from .windows import ONE_DAY

__all__ = ["AsyncPager", "PagerOptions"]

T = TypeVar("T")


class PagerOptions(TypedDict, total=False):
    """How a listing's pager walks its range; every listing method takes these keywords.

    - ``window`` (``timedelta``, whole days, default one day): the planned window size;
    - ``min_window`` (default one day): the narrowest window a slow or failing one is split to;
    - ``prefetch`` (default 2): windows fetched ahead while you consume one;
    - ``resume_from``: a ``pager.checkpoint`` to resume after the last record handed out;
    - ``max_records_per_response``: for listings without counts, the server's per-response
      maximum: a response that long is taken as cut and split.
    """

    window: timedelta
    min_window: timedelta
    prefetch: int
    resume_from: Mapping[str, Any] | None
    max_records_per_response: int | None


class AsyncPager(AsyncClosing, Generic[T]):
    """An async iterator over one listing across an inclusive ``[start, end]`` date range.

    Listing methods such as ``client.invoices.distributions(...)`` build it; you rarely construct
    one yourself. ``fetch(start, end)`` fetches one window; ``key(record)`` is the record's
    identity, used to de-duplicate across window edges and stored (as JSON) in checkpoints (a
    record whose key is ``None``, e.g. because a guessed id field was not read, is never
    de-duplicated, and after a resume in the middle of its window it may come again);
    ``source`` names the listing in errors and checkpoints.

    Arguments are checked at once (a bad date or window raises ``RequestValidationError`` before
    any request). The pager runs once: iterating it again raises :class:`PagerStateError`.
    """

    def __init__(
        self,
        fetch: WindowFetch[T],
        *,
        start: date,
        end: date,
        key: Callable[[T], Hashable],
        source: str,
        window: timedelta = ONE_DAY,
        min_window: timedelta = ONE_DAY,
        prefetch: int = 2,
        resume_from: Mapping[str, Any] | None = None,
        max_records_per_response: int | None = None,
    ) -> None:
        start = check_date("start", start)
        end = check_date("end", end)
        if end < start:
            raise RequestValidationError("end", end, f"must not be before start={start}")
        window_days = whole_days("window", window)
        min_days = whole_days("min_window", min_window)
        if min_days > window_days:
            raise RequestValidationError("min_window", min_window, "must not exceed window")
        hint = (
            None
            if max_records_per_response is None
            else positive_int("max_records_per_response", max_records_per_response)
        )
        resume = None if resume_from is None else decode_checkpoint(resume_from, source=source)
        self._start = start
        self._engine: WindowEngine[T] = WindowEngine(
            fetch=fetch,
            key=key,
            source=source,
            start=start,
            end=end,
            window_days=window_days,
            min_days=min_days,
            prefetch=non_negative_int("prefetch", prefetch),
            max_records_hint=hint,
            resume=resume,
        )
        self._claimed = False
        self._rewound: dict[str, Any] | None = None

    @property
    def start(self) -> date:
        """First day of the range (inclusive)."""
        return self._start

    @property
    def end(self) -> date:
        """Last day of the range (inclusive)."""
        return self._engine.end

    @property
    def source(self) -> str:
        """The listing this pager walks (its API path)."""
        return self._engine.source

    @property
    def stats(self) -> PagerStats:
        """Live counters: requests, splits, in-flight and buffered-window high-water marks."""
        return self._engine.stats

    @property
    def checkpoint(self) -> dict[str, Any]:
        """JSON-serialisable position after the last record (or page) handed out.

        Pass it as ``resume_from=`` to the same listing method to continue without gaps or
        repeats: it holds the first date not fully handed out and, inside a partly consumed
        window, the keys of the records already yielded from it (so it grows with the position
        inside a window; persisting it once per page, or every N records, is cheapest).
        """
        return self._engine.checkpoint() if self._rewound is None else dict(self._rewound)

    def __aiter__(self) -> AsyncIterator[T]:
        self._claim()
        return ItemIterator(self._engine)

    def pages(self) -> AsyncIterator[Page[T]]:
        """Iterate window by window: one :class:`Page` per window, empty windows included."""
        self._claim()
        return PageIterator(self._engine)

    async def to_list(self, limit: int | None = None) -> list[T]:
        """Collect the records (at most ``limit``) into a list, then stop outstanding fetches.

        After ``to_list(limit=n)`` the :attr:`checkpoint` points right after the n-th record. If
        it raises, the records it collected go with it, so the checkpoint then points where it
        started: resuming from it reads them again rather than skipping them.
        """
        if limit is not None:
            non_negative_int("limit", limit)
        iterator = self.__aiter__()
        started = self._engine.checkpoint()
        out: list[T] = []
        try:
            if limit == 0:
                return out
            async for item in iterator:
                out.append(item)
                if limit is not None and len(out) >= limit:
                    break
        except BaseException:
            self._rewound = started  # nothing collected reached the caller
            raise
        finally:
            await self._engine.aclose()
        return out

    async def aclose(self) -> None:
        """Stop: cancel outstanding window fetches and wait for them. Safe to call twice."""
        self._claimed = True
        await self._engine.aclose()

    def __repr__(self) -> str:
        return (
            f"AsyncPager({self.source} {self.start}..{self.end}, "
            f"pages={self.stats.pages}, items={self.stats.items})"
        )

    def _claim(self) -> None:
        if self._claimed:
            raise PagerStateError(
                f"this pager over {self.source} was already iterated or closed; a pager runs "
                "once — create a new one (resume_from=pager.checkpoint continues where it stopped)"
            )
        self._claimed = True
