"""Held requests: a fault that keeps matching requests waiting until the test lets them go.

:meth:`Faults.hold <confirma_async.testing.Faults.hold>` installs a ``hold`` rule and returns its
:class:`HeldRequests`. A held request has been received and counted, and its other faults have been
drawn, but none has taken effect and nothing is applied: a test can act while a client has requests
in flight (stop a worker process, cancel a task, expire a token) without racing the server.
Requests are let go oldest first; a released one then meets its latency and fault and is handled
as usual. One still held when the sandbox stops is dropped, never applied.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from types import TracebackType


class HeldRequests:
    """The requests a ``hold`` rule is keeping waiting, and the means to let them go.

    Use it as a context manager so nothing stays held after the test::

        with sandbox.faults.hold("POST", "/invoice") as held:
            await held.wait_held(8)  # eight uploads are in flight, none applied
            held.release(1)          # the oldest one goes on
            ...
        # leaving the block lets every held request go and stops holding new ones
    """

    def __init__(self, on_end: Callable[[], None] | None = None) -> None:
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._watchers: list[tuple[int, asyncio.Future[None]]] = []
        self._ended = False
        self._on_end = on_end
        self.arrived = 0
        """How many requests this hold has taken so far (released ones included)."""

    @property
    def held(self) -> int:
        """How many requests are waiting now."""
        return sum(1 for waiter in self._waiting if not waiter.done())

    @property
    def ended(self) -> bool:
        """True once :meth:`end` was called: new requests pass without waiting."""
        return self._ended

    async def wait_held(self, n: int) -> None:
        """Return once at least ``n`` requests are waiting at the same time."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        if self.held >= n:
            return
        watcher: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._watchers.append((n, watcher))
        try:
            await watcher
        finally:
            self._watchers = [(k, w) for k, w in self._watchers if w is not watcher]

    def release(self, n: int | None = None) -> int:
        """Let the ``n`` oldest waiting requests go (all of them if ``None``); return how many."""
        if n is not None and n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        released = 0
        while self._waiting and (n is None or released < n):
            waiter = self._waiting.popleft()
            if not waiter.done():  # a request whose client left was cancelled meanwhile
                waiter.set_result(None)
                released += 1
        return released

    def end(self) -> None:
        """Let every waiting request go and hold no new ones (the rule is uninstalled)."""
        first, self._ended = not self._ended, True
        self.release()
        if first and self._on_end is not None:
            self._on_end()

    async def enter(self) -> None:
        """Wait, as one request, until released (at once if the hold has ended)."""
        if self._ended:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self.arrived += 1
        held = self.held
        for n, watcher in self._watchers:
            if held >= n and not watcher.done():
                watcher.set_result(None)
        await waiter  # a cancelled request (its client left) cancels its waiter too

    def __enter__(self) -> HeldRequests:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.end()

    def __repr__(self) -> str:
        return f"HeldRequests(held={self.held}, arrived={self.arrived}, ended={self._ended})"
