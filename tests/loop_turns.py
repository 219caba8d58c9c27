"""Waiting on the event loop without a clock: a bounded number of turns."""

from __future__ import annotations

import asyncio


async def turns_until(done: asyncio.Future[object], turns: int = 1_000) -> None:
    """Let the loop run until ``done`` is done, at most ``turns`` turns (no wall-clock waiting)."""
    for _ in range(turns):
        if done.done():
            return
        await asyncio.sleep(0)
