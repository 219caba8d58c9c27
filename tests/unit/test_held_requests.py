"""``HeldRequests`` on its own: waiting, releasing oldest first, cancelled requests, bad input."""

from __future__ import annotations

import asyncio

import pytest

from confirma_async.testing import HeldRequests
from tests.loop_turns import turns_until


def enter(held: HeldRequests, n: int) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(held.enter()) for _ in range(n)]


async def test_requests_are_released_oldest_first() -> None:
    held = HeldRequests()
    first, second = enter(held, 2)
    await held.wait_held(2)
    assert held.release(1) == 1
    await first
    assert not second.done()
    assert held.held == 1


async def test_a_cancelled_request_is_no_longer_held_nor_counted_as_released() -> None:
    held = HeldRequests()
    (task,) = enter(held, 1)
    await held.wait_held(1)
    task.cancel()
    await turns_until(task)
    assert task.cancelled()
    assert (held.held, held.arrived) == (0, 1)
    assert held.release() == 0


async def test_ending_lets_every_request_go_and_later_ones_pass_once() -> None:
    ended: list[bool] = []
    held = HeldRequests(on_end=lambda: ended.append(True))
    tasks = enter(held, 2)
    await held.wait_held(2)
    held.end()
    held.end()
    await asyncio.gather(*tasks, held.enter())
    assert (ended, held.arrived) == ([True], 2)


async def test_waiting_for_requests_already_held_returns_at_once() -> None:
    held = HeldRequests()
    enter(held, 3)
    await held.wait_held(3)
    await held.wait_held(2)
    held.end()


@pytest.mark.parametrize("n", [0, -1])
async def test_waiting_for_fewer_than_one_held_request_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match=f"n must be at least 1, got {n}"):
        await HeldRequests().wait_held(n)


def test_releasing_a_negative_number_is_refused() -> None:
    with pytest.raises(ValueError, match="n must not be negative, got -2"):
        HeldRequests().release(-2)
