"""Polling distribution records for new and changed ones: :class:`DistributionWatcher`.

Each poll walks the distribution listing from ``max(since, today - lookback)`` to tomorrow (UTC;
the extra day covers invoices dated ahead of UTC, e.g. in Finnish time) with an
:class:`~confirma_async.pagination.AsyncPager`, and yields every record whose fingerprint (its
statuses, case id, timestamps and any fields the client does not know) differs from the one
remembered for its invoice number. What was yielded is remembered per invoice date, so state
stays bounded: days that fall behind the lookback horizon are forgotten (no longer polled either).

A record whose invoice number or date the client cannot read (every record field is our guess, A11;
a wire alias fixes it) is still yielded, once per distinct content: its fingerprint is remembered
under the day it was first seen, for as long as a record seen that day can still be polled.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import attrs

from .._core import json as _json
from .._core.checks import check_date, whole_days
from .._core.closing import AsyncClosing
from ..errors import PagerStateError, RequestValidationError
from ..models.distribution import DistributionRecord
from .coordination import CONTENT_PREFIX, StreamKey, WatchCoordination
from .leased import LeasedIterator
from .pager import AsyncPager
from .pages import WindowFetch
from .windows import ONE_DAY

WATCH_CHECKPOINT_VERSION = 1
_KIND = "distribution-watch"


class SupportsNow(Protocol):
    """A clock object such as the sandbox's ``ManualClock``: ``now()`` gives an aware datetime."""

    def now(self) -> datetime:
        """Return the current aware UTC datetime."""
        ...


Clock = Callable[[], datetime] | SupportsNow
Sleep = Callable[[float], Awaitable[Any]]


@attrs.define(kw_only=True, slots=True)
class WatchStats:
    """Counters of a watcher (for tests and logs)."""

    polls: int = 0
    """Polls completed."""
    yielded: int = 0
    """Records yielded as new or changed."""
    requests: int = 0
    """Window requests made by completed and running polls."""
    leases: int = 0
    """Leases taken on the stream (coordinated watchers only)."""


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat()


def fingerprint(record: DistributionRecord, *, identity: bool = False) -> str:
    """A short stable digest of what makes a record "changed".

    Its statuses, case id and timestamps, and the fields the client does not know (``extra``: a
    status under a name we did not guess still counts). ``identity`` adds the invoice number and
    date, for records tracked by content alone.
    """
    parts = [
        str(record.distribution_status),
        str(record.payment_control_status),
        str(record.case_id),
        _iso(record.created_at),
        _iso(record.updated_at),
        _iso(record.delivered_at),
    ]
    if record.extra:
        parts.append(_json.dumps(record.extra, sort_keys=True).decode())
    if identity:
        parts.append(f"{record.invoice_number}@{record.invoice_date}")
    return hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()


def _invoice_number(record: DistributionRecord) -> int | None:
    return record.invoice_number


class DistributionWatcher(AsyncClosing):
    """Polls ``GET /invoice/distribution`` forever; yields each new or changed record once.

    Build it with ``client.invoices.watch_distributions(...)``. Persist :attr:`checkpoint` (JSON)
    after handling a record and pass it back as ``checkpoint=`` after a restart: records already
    yielded in their current state are not yielded again. An error of a poll (after the
    transport's retries and the pager's window splitting) ends the iteration as a
    ``PaginationError``; restart from the checkpoint.
    """

    def __init__(
        self,
        fetch: WindowFetch[DistributionRecord],
        *,
        source: str,
        since: date | None,
        interval: timedelta | float,
        lookback: timedelta,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        checkpoint: Mapping[str, Any] | None = None,
        window: timedelta = ONE_DAY,
        prefetch: int = 2,
        coordination: WatchCoordination | None = None,
        stream: StreamKey | None = None,
    ) -> None:
        seen, unkeyed, saved_since = (
            _decode(checkpoint) if checkpoint is not None else ({}, {}, None)
        )
        since = since if since is not None else saved_since
        if since is None:
            raise RequestValidationError("since", None, "give since= (or a checkpoint)")
        self._since = check_date("since", since)
        self._interval = _seconds("interval", interval)
        self._lookback_days = whole_days("lookback", lookback)
        whole_days("window", window)
        self._fetch = fetch
        self._source = source
        self._now: Callable[[], datetime] = _as_clock(clock)
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._window = window
        self._prefetch = prefetch
        self._seen: dict[date, dict[int, str]] = seen
        self._unkeyed: dict[date, set[str]] = unkeyed
        self._today = self._now().astimezone(UTC).date()
        self._pager: AsyncPager[DistributionRecord] | None = None
        self._claimed = False
        self._coordination = coordination
        self._stream = stream
        self._leased: LeasedIterator[DistributionRecord] | None = None
        self.last_news: tuple[date, str, str] | None = None
        """Where the last yielded record went in the checkpoint: (day, item key, fingerprint)."""
        self.stats = WatchStats()
        """Live counters: polls, records yielded, requests."""

    @property
    def checkpoint(self) -> dict[str, Any]:
        """JSON-serialisable state: ``since`` and the fingerprint of every record yielded.

        Only days inside the lookback horizon are kept, so its size is bounded by the records
        dated in the last ``lookback`` days.
        """
        data: dict[str, Any] = {
            "version": WATCH_CHECKPOINT_VERSION,
            "kind": _KIND,
            "since": self._since.isoformat(),
            "seen": {
                day.isoformat(): {str(n): fp for n, fp in numbers.items()}
                for day, numbers in sorted(self._seen.items())
            },
        }
        if self._unkeyed:
            data["seen_by_content"] = {
                day.isoformat(): sorted(fps) for day, fps in sorted(self._unkeyed.items())
            }
        return data

    def __aiter__(self) -> AsyncIterator[DistributionRecord]:
        if self._claimed:
            raise PagerStateError("this watcher was already iterated or closed; build a new one")
        self._claimed = True
        if self._coordination is None or self._stream is None:
            return _WatchIterator(self)
        self._leased = LeasedIterator(self, self._coordination, self._stream, _WatchIterator)
        return self._leased

    async def aclose(self) -> None:
        """Stop: cancel the running poll's outstanding window fetches and wait for them."""
        self._claimed = True
        pager, self._pager = self._pager, None
        if pager is not None:
            await pager.aclose()
        if self._leased is not None:
            await self._leased.aclose()

    def _new_poll(self) -> AsyncPager[DistributionRecord] | None:
        today = self._today = self._now().astimezone(UTC).date()
        start = max(self._since, today - timedelta(days=self._lookback_days))
        for day in [d for d in self._seen if d < start]:
            del self._seen[day]
        # A record first seen on day X is dated X + 1 at the latest: polled while X >= start - 1.
        for day in [d for d in self._unkeyed if d < start - ONE_DAY]:
            del self._unkeyed[day]
        end = today + ONE_DAY
        if start > end:
            return None
        self._pager = AsyncPager(
            self._fetch,
            start=start,
            end=end,
            key=_invoice_number,
            source=self._source,
            window=self._window,
            prefetch=self._prefetch,
        )
        return self._pager

    def _end_poll(self) -> None:
        if self._pager is not None:
            self.stats.requests += self._pager.stats.requests
        self._pager = None
        self.stats.polls += 1

    def _is_news(self, record: DistributionRecord) -> bool:
        number, invoice_date = record.invoice_number, record.invoice_date
        if number is None or invoice_date is None:
            return self._is_new_content(record)
        fp = fingerprint(record)
        day = self._seen.setdefault(invoice_date, {})
        if day.get(number) == fp:
            return False
        day[number] = fp
        self.last_news = (invoice_date, str(number), fp)
        self.stats.yielded += 1
        return True

    def _is_new_content(self, record: DistributionRecord) -> bool:
        fp = fingerprint(record, identity=True)
        if any(fp in fps for fps in self._unkeyed.values()):
            return False
        self._unkeyed.setdefault(self._today, set()).add(fp)
        self.last_news = (self._today, CONTENT_PREFIX + fp, fp)
        self.stats.yielded += 1
        return True


class _WatchIterator:
    """Drives the polls; dropping it (``break``) drops the running poll's iterator with it."""

    __slots__ = ("_items", "_polled", "_watcher")

    def __init__(self, watcher: DistributionWatcher) -> None:
        self._watcher = watcher
        self._items: AsyncIterator[DistributionRecord] | None = None
        self._polled = False

    def __aiter__(self) -> _WatchIterator:
        return self

    async def __anext__(self) -> DistributionRecord:
        w = self._watcher
        while True:
            if self._items is None:
                if self._polled:
                    await w._sleep(w._interval)
                self._polled = True
                pager = w._new_poll()
                if pager is None:
                    w._end_poll()
                    continue
                self._items = pager.__aiter__()
            try:
                record = await self._items.__anext__()
            except StopAsyncIteration:
                self._items = None
                w._end_poll()
                continue
            if w._is_news(record):
                return record


def _as_clock(clock: Clock | None) -> Callable[[], datetime]:
    if clock is None:
        return lambda: datetime.now(UTC)
    if callable(clock):
        return clock
    return clock.now


def _seconds(field: str, value: timedelta | float) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise RequestValidationError(field, value, "must be a timedelta or seconds >= 0")
    return float(seconds)


_Seen = dict[date, dict[int, str]]
_SeenByContent = dict[date, set[str]]


def _decode(data: Mapping[str, Any]) -> tuple[_Seen, _SeenByContent, date | None]:
    field = "checkpoint"
    if not isinstance(data, Mapping) or data.get("kind") != _KIND:
        raise RequestValidationError(field, data, "must be a DistributionWatcher checkpoint")
    if data.get("version") != WATCH_CHECKPOINT_VERSION:
        raise RequestValidationError(field, data.get("version"), "unsupported checkpoint version")
    try:
        since = date.fromisoformat(data["since"])
        seen = {
            date.fromisoformat(day): {int(n): str(fp) for n, fp in numbers.items()}
            for day, numbers in data["seen"].items()
        }
        unkeyed = {
            date.fromisoformat(day): {str(fp) for fp in fps}
            for day, fps in (data.get("seen_by_content") or {}).items()
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RequestValidationError(field, data, f"malformed checkpoint ({exc})") from None
    return seen, unkeyed, since
