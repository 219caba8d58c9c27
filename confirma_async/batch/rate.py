"""A tiny requests-per-second limiter for the batch submitter (no dependency needed).

Each ``acquire`` reserves the next free slot on a schedule spaced ``1 / rate`` seconds apart and
sleeps until it; so over any interval of ``t`` seconds at most ``t * rate + 1`` acquisitions pass.
A caller cancelled while it waits leaves its slot unused (the rate errs on the slow side).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable

from ..errors import ConfigurationError


class RateLimiter:
    """Spaces acquisitions at least ``1 / rate`` seconds apart (``rate`` per second)."""

    __slots__ = ("_clock", "_interval", "_next", "_sleep")

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate):
            raise ConfigurationError("rate_limit", rate, "must be a finite number")
        if rate <= 0:
            raise ConfigurationError("rate_limit", rate, "must be greater than 0")
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf

    async def acquire(self) -> None:
        """Wait for the next slot."""
        now = self._clock() if self._clock is not None else asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)
