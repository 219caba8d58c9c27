"""``stop_tasks``: background tasks stop for good, even one that loses its cancellation."""

from __future__ import annotations

import asyncio

import pytest

from confirma_async._core import tasks
from confirma_async._core.tasks import stop_tasks
from tests.loop_turns import turns_until


async def losing(times: int, lost: list[int]) -> None:
    """Waits forever; the first ``times`` cancellations are lost as aiohttp's timer loses them."""
    while True:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if len(lost) >= times:
                raise
            lost.append(1)
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()  # then it goes on, as after a mere timeout


@pytest.fixture(autouse=True)
def look_at_every_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "RECANCEL_EVERY", 0)


async def test_a_task_that_loses_its_cancellation_is_cancelled_again_until_it_ends() -> None:
    lost: list[int] = []
    task = asyncio.create_task(losing(3, lost))
    await asyncio.sleep(0)
    stopping = asyncio.create_task(stop_tasks([task]))
    await turns_until(stopping)
    assert stopping.done()
    assert lost == [1, 1, 1]
    assert task.cancelled()


async def test_the_tasks_failures_are_consumed_not_raised() -> None:
    async def fails_when_cancelled() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise RuntimeError("cleanup failed") from None

    failing = asyncio.create_task(fails_when_cancelled())
    quiet = asyncio.create_task(asyncio.Event().wait())
    await asyncio.sleep(0)
    await stop_tasks([failing, quiet])
    assert isinstance(failing.exception(), RuntimeError)
    assert quiet.cancelled()


async def test_tasks_already_done_and_no_tasks_end_at_once() -> None:
    done = asyncio.create_task(asyncio.sleep(0))
    await done
    await stop_tasks([])
    await stop_tasks([done])
    assert done.done()
    assert not done.cancelled()


async def test_a_cancelled_caller_stops_waiting_and_the_tasks_stay_cancelled() -> None:
    task = asyncio.create_task(asyncio.Event().wait())
    await asyncio.sleep(0)
    gate = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await gate.wait()
        finally:
            await asyncio.sleep(0)

    slow = asyncio.create_task(slow_to_stop())
    await asyncio.sleep(0)
    caller = asyncio.create_task(stop_tasks([task, slow]))
    await asyncio.sleep(0)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await turns_until(slow)
    assert task.cancelled()
    assert slow.cancelled()
