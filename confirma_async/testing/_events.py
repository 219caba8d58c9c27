"""A timeline of future state changes, applied lazily when the clock has passed them."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import datetime

Callback = Callable[[datetime], None]


class Timeline:
    """Events due at a moment; :meth:`run_until` applies every due one in time order.

    A callback receives its own due time (not the read time), so state reads the same whether the
    clock is looked at once after an hour or sixty times a minute apart. Callbacks may schedule more
    events, including ones already due.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Callback]] = []
        self._seq = itertools.count()

    def at(self, when: datetime, callback: Callback) -> None:
        """Schedule ``callback`` for ``when``."""
        heapq.heappush(self._heap, (when, next(self._seq), callback))

    def run_until(self, now: datetime) -> None:
        """Apply, in order, every event due at or before ``now``."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            when, _, callback = heapq.heappop(heap)
            callback(when)

    def __len__(self) -> int:
        return len(self._heap)
