"""A logger for tests that waits for one event: synchronise on what the client logs, not on time."""

from __future__ import annotations

import asyncio
from typing import Any


class EventSignal:
    """A logger that resolves ``seen`` at the first event named ``name`` (drops the rest)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    def bind(self, **fields: Any) -> EventSignal:
        return self

    def _event(self, event: str, **fields: Any) -> None:
        if event == self.name and not self.seen.done():
            self.seen.set_result(fields)

    debug = info = warning = error = exception = _event
