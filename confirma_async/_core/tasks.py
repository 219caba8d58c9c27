"""Stopping background tasks for good, even when one of them loses its cancellation.

aiohttp turns a cancellation into a timeout when its own timer fires at the same moment
(aio-libs/aiohttp#5979: its timer context uncancels the task on its way to ``TimeoutError``). The
task then goes on as if a request had merely timed out: a batch worker takes its next item, a
fleet watcher polls again, and whoever cancelled it and waits for it to end waits forever.
:func:`stop_tasks` cancels again every task that is no longer being cancelled, until all ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

__all__ = ["RECANCEL_EVERY", "stop_tasks"]

RECANCEL_EVERY = 0.05
"""Seconds between two looks for a task whose cancellation was lost."""


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait until every one has ended (a lost cancellation is repeated).

    Their outcomes are consumed, not raised: each task reports its own failures. If the caller
    is cancelled meanwhile, it stops waiting (the tasks stay cancelled).
    """
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            if not task.cancelling():
                task.cancel()
        _, pending = await asyncio.shield(asyncio.wait(pending, timeout=RECANCEL_EVERY))
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" when collected
