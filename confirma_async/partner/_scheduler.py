"""Fair turns for many clients' requests under one process-wide limit.

Every request a partner's client sends (first attempt, retry, redirect hop, token renewal, bulk
upload) takes a *slot* from the :class:`FairScheduler` before it is written and gives it back when
its answer has been read. While a slot is free and nobody waits, a request takes it at once (no
queue, no clock read). Otherwise it waits in its client's own queue (its :class:`Lane`), and
freed slots are handed out by deficit round robin over the clients that wait: each turn a lane
may start ``weight`` requests (1 by default: plain round robin), so a client with thousands of
requests waiting gets one turn per round like a client with one poll waiting. A lane's ``limit``
caps its own requests in flight; ``rate_limit`` caps the requests started per second across all
lanes (a token bucket holding ``burst`` requests).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

import attrs

from ..errors import ClientClosedError, ConfigurationError

Observer = Callable[[str, "Lane"], None]
"""``observer(event, lane)`` with ``event`` ``"queued"`` or ``"granted"`` (tests, tracing)."""


@attrs.frozen(slots=True)
class LaneMetrics:
    """One client's figures at a moment: requests in flight, waiting, sent, and time waited."""

    client_id: str
    in_flight: int
    queued: int
    sent: int
    waited: int
    """How many requests had to wait for a slot (the others found one free)."""
    wait_seconds: float
    """The time those requests waited, in total (``wait_seconds / waited``: the mean wait)."""


class Lane:
    """One client's place in the :class:`FairScheduler`: ``async with lane:`` holds a slot."""

    __slots__ = (
        "_queue",
        "_scheduler",
        "deficit",
        "in_flight",
        "in_ring",
        "limit",
        "name",
        "queued",
        "sent",
        "wait_seconds",
        "waited",
        "weight",
    )

    def __init__(
        self, scheduler: FairScheduler, name: str, weight: float, limit: int | None
    ) -> None:
        self._scheduler = scheduler
        self.name = name
        self.weight = weight
        self.limit = limit
        self.in_flight = 0
        self.queued = 0
        self.sent = 0
        self.waited = 0
        self.wait_seconds = 0.0
        self.deficit = 0.0
        self.in_ring = False
        self._queue: deque[asyncio.Future[None]] | None = None  # made on the first wait

    def __repr__(self) -> str:
        return f"Lane({self.name!r}, in_flight={self.in_flight}, queued={self.queued})"

    def metrics(self) -> LaneMetrics:
        """The lane's figures now."""
        return LaneMetrics(
            self.name, self.in_flight, self.queued, self.sent, self.waited, self.wait_seconds
        )

    async def __aenter__(self) -> None:
        await self._scheduler.acquire(self)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._scheduler.release(self)


class FairScheduler:
    """Process-wide limits shared by many clients, served fairly (see the module doc).

    ``max_in_flight``: requests in flight at most, all clients together; ``rate_limit``: requests
    started per second at most (``None``: no cap), with bursts of ``burst``; ``per_client_limit``:
    the default cap of one client's requests in flight (``None``: only the process-wide one).
    """

    def __init__(
        self,
        *,
        max_in_flight: int = 64,
        rate_limit: float | None = None,
        burst: float = 1.0,
        per_client_limit: int | None = None,
        observer: Observer | None = None,
    ) -> None:
        _positive_int("max_in_flight", max_in_flight)
        if per_client_limit is not None:
            _positive_int("per_client_limit", per_client_limit)
        if rate_limit is not None and not (isinstance(rate_limit, int | float) and rate_limit > 0):
            raise ConfigurationError("rate_limit", rate_limit, "must be a positive number or None")
        if not (isinstance(burst, int | float) and burst >= 1):
            raise ConfigurationError("burst", burst, "must be a number of at least 1")
        self.max_in_flight = max_in_flight
        self.rate_limit = rate_limit
        self.per_client_limit = per_client_limit
        self._burst = float(burst)
        self._observer = observer
        self.in_flight = 0
        """Requests in flight now, all clients together."""
        self._ring: deque[Lane] = deque()
        self._bucket = float(burst)
        self._refilled = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"FairScheduler(max_in_flight={self.max_in_flight}, rate_limit={self.rate_limit}, "
            f"in_flight={self.in_flight}, waiting_clients={len(self._ring)})"
        )

    def lane(self, name: str, *, weight: float = 1.0, limit: int | None = None) -> Lane:
        """A new lane (one per client): ``weight`` turns per round, ``limit`` in flight at most."""
        if not (isinstance(weight, int | float) and weight > 0):
            raise ConfigurationError("weight", weight, "must be a positive number")
        if limit is not None:
            _positive_int("limit", limit)
        return Lane(self, name, float(weight), self.per_client_limit if limit is None else limit)

    def close(self) -> None:
        """Stop scheduling (when the partner closes); safe to call twice.

        The rate timer is cancelled, and requests waiting for a slot (and any asking later) fail
        with :class:`~confirma_async.ClientClosedError`.
        """
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._ring:
            lane = self._ring.popleft()
            lane.in_ring = False
            while lane._queue:
                waiter = lane._queue.popleft()
                if not waiter.done():
                    lane.queued -= 1
                    waiter.set_exception(_closed())

    async def acquire(self, lane: Lane) -> None:
        """Wait for a slot for ``lane`` (its turn, a free slot, the rate); holds it on return."""
        if self._closed:
            raise _closed()
        if not self._ring and self._free(lane) and self._take_rate():
            self._grant(lane)
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        queue = lane._queue
        if queue is None:
            queue = lane._queue = deque()
        queue.append(waiter)
        lane.queued += 1
        if not lane.in_ring:
            lane.in_ring = True
            self._ring.append(lane)
        if self._observer is not None:
            self._observer("queued", lane)
        started = time.perf_counter()
        self._dispatch()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(lane)  # granted, then cancelled before it could use the slot
            else:
                lane.queued -= 1
            raise
        finally:
            lane.waited += 1
            lane.wait_seconds += time.perf_counter() - started

    def release(self, lane: Lane) -> None:
        """Give ``lane``'s slot back; the next lane in turn gets it."""
        self.in_flight -= 1
        lane.in_flight -= 1
        if self._ring:
            self._dispatch()

    def _free(self, lane: Lane) -> bool:
        return self.in_flight < self.max_in_flight and (
            lane.limit is None or lane.in_flight < lane.limit
        )

    def _grant(self, lane: Lane) -> None:
        self.in_flight += 1
        lane.in_flight += 1
        lane.sent += 1
        if self._observer is not None:
            self._observer("granted", lane)

    def _take_rate(self) -> bool:
        rate = self.rate_limit
        if rate is None:
            return True
        now = time.monotonic()
        self._bucket = min(self._burst, self._bucket + (now - self._refilled) * rate)
        self._refilled = now
        if self._bucket >= 1.0:
            self._bucket -= 1.0
            return True
        if self._timer is None:
            delay = (1.0 - self._bucket) / rate
            self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)
        return False

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand free slots to the waiting lanes in turn (deficit round robin)."""
        ring = self._ring
        blocked = 0
        while ring and self.in_flight < self.max_in_flight:
            lane = ring[0]
            queue = lane._queue
            while queue and queue[0].done():  # cancelled while waiting
                queue.popleft()
            if not queue:
                ring.popleft()
                lane.in_ring = False
                lane.deficit = 0.0
                continue
            if lane.limit is not None and lane.in_flight >= lane.limit:
                ring.rotate(-1)
                blocked += 1
                if blocked >= len(ring):
                    return  # every waiting lane is at its own cap
                continue
            if lane.deficit < 1.0:
                lane.deficit += lane.weight
                if lane.deficit < 1.0:  # a weight below 1 saves up over rounds
                    ring.rotate(-1)
                    continue
            if not self._take_rate():
                return  # the timer dispatches again when the next request may start
            queue.popleft().set_result(None)
            lane.queued -= 1
            lane.deficit -= 1.0
            self._grant(lane)
            blocked = 0
            if lane.deficit < 1.0:
                ring.rotate(-1)  # its turn is over


def _positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(name, value, "must be a positive integer")


def _closed() -> ClientClosedError:
    return ClientClosedError("the partner is closed: no request is scheduled any more")
