"""Stopping background tasks for good, even when one of them loses its cancellation.

aiohttp turns a cancellation into a timeout when its own timer fires at the same moment
(aio-libs/aiohttp#5979: its timer context uncancels the task on its way to ``TimeoutError``). The
task then goes on as if a request had merely timed out: a batch worker takes its next item, a
fleet watcher polls again, and whoever cancelled it and waits for it to end waits forever.
:func:`stop_tasks` cancels again every task that is no longer being cancelled, until all ended;
:func:`keep_cancelled` does the same without waiting, for code that cannot await (a pager
stopped by ``break`` or garbage collection).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

__all__ = ["RECANCEL_EVERY", "keep_cancelled", "stop_tasks"]

RECANCEL_EVERY = 0.05
"""Seconds between two looks for a task whose cancellation was lost."""

QUICK_LOOKS = 20
"""Loop turns, after a cancellation, on each of which :func:`keep_cancelled` looks again (a
cancelled task unwinds in a few); it then looks every :data:`RECANCEL_EVERY` seconds."""


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


def keep_cancelled(tasks: Iterable[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Cancel ``tasks`` now, and again any that loses its cancellation, until each has ended.

    Synchronous: the watch runs as event-loop callbacks, not as a task, so nothing is left
    behind once the tasks end. A task found running but no longer being cancelled is cancelled
    again on the next loop turn (later, every :data:`RECANCEL_EVERY` seconds). Returns the tasks
    cancelled (none whose event loop is already closed).
    """
    cancelled = []
    for task in tasks:
        if task.done():
            continue
        try:
            task.cancel()
        except RuntimeError:  # its event loop is already closed
            continue
        cancelled.append(task)
    if cancelled:
        with contextlib.suppress(RuntimeError):  # the loop closed in between (garbage collection)
            cancelled[0].get_loop().call_soon(_look_again, cancelled, 0)
    return cancelled


def _look_again(tasks: list[asyncio.Task[Any]], looks: int) -> None:
    pending = [task for task in tasks if not task.done()]
    if not pending:
        return
    for task in pending:
        if not task.cancelling():  # its cancellation was lost: it goes on as after a timeout
            task.cancel()
    loop = pending[0].get_loop()
    if loop.is_closed():
        return
    if looks < QUICK_LOOKS:
        loop.call_soon(_look_again, pending, looks + 1)
    else:
        loop.call_later(RECANCEL_EVERY, _look_again, pending, looks + 1)
