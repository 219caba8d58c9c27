"""What keeps a bulk job from hurting the server or itself: pacing, a breaker, duplicate keys.

* :class:`Pacing`: a re-send waits, exponentially with full jitter (the server's ``Retry-After``
  when it sent one), never less than a floor: the transport already retried, so a batch-level
  re-send follows a failure that lasted.
* :class:`CircuitBreaker`: after ``threshold`` submissions in a row failed the way a down server
  fails (connection errors, timeouts, 5xx, after the transport's own retries), the rest of the
  stream is not sent (``CircuitOpenError``; a rerun sends them).
* :class:`DuplicateKeys`: the same key twice in one input; the second waits for the first and is
  never sent itself.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import (
    APIConnectionError,
    CircuitOpenError,
    ConfirmaError,
    RateLimitError,
    ServerError,
)
from .results import BatchKey

RECENT_KEYS = 1 << 16
"""Finished keys remembered for duplicate detection (beyond them, the server's 409 decides)."""


class Pacing:
    """The wait before a batch-level re-send: ``Retry-After`` (at least ``base``), else jitter.

    ``sleep`` (``asyncio.sleep``) may be replaced, e.g. by a test that records the waits.
    """

    __slots__ = ("base", "cap", "sleep")

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap
        self.sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep

    def wait(self, attempt: int, error: ConfirmaError | None) -> float:
        """Seconds to wait before submission number ``attempt`` (2 for the first re-send)."""
        retry_after = getattr(error, "retry_after", None) if error is not None else None
        if isinstance(retry_after, int | float):
            return min(max(float(retry_after), self.base), self.cap)
        return max(self.base, random.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1))))

    async def pause(self, attempt: int, error: ConfirmaError | None) -> None:
        """Wait before submission number ``attempt``."""
        await self.sleep(self.wait(attempt, error))


def server_down(error: ConfirmaError) -> bool:
    """A failure that says the server is down: connection errors, timeouts, 5xx."""
    return isinstance(error, APIConnectionError | ServerError) and not isinstance(
        error, RateLimitError
    )


class CircuitBreaker:
    """Opens after ``threshold`` submissions in a row failed like a down server; never closes.

    A rerun of the job starts closed (and, with a journal, sends only what was not done).
    """

    __slots__ = ("failures", "last", "opened", "threshold")

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.failures = 0
        self.opened = False
        self.last: ConfirmaError | None = None
        """The last failure counted before the breaker opened (the one that opened it)."""

    def record(self, error: ConfirmaError | None) -> None:
        """Count a submission's outcome: ``None`` for an answer (any 2xx or 4xx)."""
        if error is None or not server_down(error):
            if not isinstance(error, RateLimitError):
                self.failures = 0
            return
        self.failures += 1
        if not self.opened:
            self.last = error
            self.opened = self.failures >= self.threshold

    def error(self) -> CircuitOpenError:
        """The error of an item the open breaker held back, caused by the failure that opened it."""
        last = self.last
        seen = "" if last is None else f"; the last: {type(last).__name__}: {last}"
        error = CircuitOpenError(
            f"not sent: {self.failures} submissions in a row failed like a down server "
            f"(connection errors, timeouts or 5xx), so the batch stopped sending; a rerun sends "
            f"it{seen}"
        )
        error.__cause__ = last  # what the server answered, for the logs and the person reading
        return error


class DuplicateKeys:
    """Keys of one input in flight, and of recently finished ones, to catch repeats.

    ``first(key, index, content)`` registers an item (by its content hash) and returns ``None``,
    or the earlier item's ``(index, content, outcome)`` when the key is already in flight or
    recently done: the outcome is a future of its success while it runs, its success after.
    """

    __slots__ = ("_inflight", "_recent")

    def __init__(self) -> None:
        # key -> [index, content, future of its success or None until a repeat waits for it]
        self._inflight: dict[BatchKey, list[Any]] = {}
        self._recent: dict[BatchKey, tuple[int, int, bool]] = {}  # insertion order: oldest first

    def first(self, key: BatchKey, index: int, content: int) -> tuple[int, int, Any] | None:
        """``None`` if ``key`` is new (now registered); else the earlier item's entry."""
        running = self._inflight.get(key)
        if running is not None:
            if running[2] is None:  # the first repeat: only now is a future worth making
                running[2] = asyncio.get_running_loop().create_future()
            return running[0], running[1], running[2]
        done = self._recent.get(key)
        if done is not None:
            return done
        self._inflight[key] = [index, content, None]
        return None

    def finished(self, key: BatchKey, ok: bool) -> None:
        """The registered item of ``key`` has its result."""
        running = self._inflight.pop(key, None)
        if running is None:
            return
        index, content, outcome = running
        if outcome is not None and not outcome.done():
            outcome.set_result(ok)
        recent = self._recent
        recent[key] = (index, content, ok)
        if len(recent) > RECENT_KEYS:
            del recent[next(iter(recent))]
