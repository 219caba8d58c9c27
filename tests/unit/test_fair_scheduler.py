"""The fair scheduler: a process-wide cap, round robin by client, weights, per-client caps.

Asserted by order and counts (which request got a slot when), never by time.
"""

from __future__ import annotations

import asyncio

import pytest

from confirma_async import ClientClosedError, ConfigurationError, ConfirmaPartner, FairScheduler
from confirma_async.partner import Lane


class Log:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def __call__(self, event: str, lane: Lane) -> None:
        self.events.append((event, lane.name))

    def granted(self) -> list[str]:
        return [name for event, name in self.events if event == "granted"]


async def hold(lane: Lane, release: asyncio.Event, started: list[str] | None = None) -> None:
    async with lane:
        if started is not None:
            started.append(lane.name)
        await release.wait()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_free_slot_is_taken_at_once_without_waiting() -> None:
    scheduler = FairScheduler(max_in_flight=2)
    lane = scheduler.lane("a")
    async with lane:
        assert scheduler.in_flight == 1
    assert lane.metrics().waited == 0
    assert lane.metrics().sent == 1
    assert scheduler.in_flight == 0


async def test_requests_beyond_the_cap_wait_for_a_slot() -> None:
    scheduler = FairScheduler(max_in_flight=2)
    lane = scheduler.lane("a")
    release = asyncio.Event()
    started: list[str] = []
    tasks = [asyncio.create_task(hold(lane, release, started)) for _ in range(3)]
    await settle()
    assert len(started) == 2
    assert lane.metrics().queued == 1
    release.set()
    await asyncio.gather(*tasks)
    assert lane.metrics().waited == 1
    assert scheduler.in_flight == 0


async def test_a_client_with_one_request_waits_behind_one_turn_of_a_busy_client() -> None:
    log = Log()
    scheduler = FairScheduler(max_in_flight=1, observer=log)
    busy, poller = scheduler.lane("busy"), scheduler.lane("poll")
    gate = asyncio.Event()
    first = asyncio.create_task(hold(busy, gate))
    await settle()
    bulk = [asyncio.create_task(busy.__aenter__()) for _ in range(100)]
    await settle()
    poll = asyncio.create_task(poller.__aenter__())
    await settle()
    gate.set()
    await first
    for _ in range(3):  # two grants: one busy turn, then the poll
        await settle()
        if poll.done():
            break
        scheduler.release(busy)
    assert poll.done()
    assert log.granted()[:3] == ["busy", "busy", "poll"]
    scheduler.release(poller)
    for task in bulk:
        task.cancel()
    await asyncio.gather(*bulk, return_exceptions=True)


async def grants_in_order(scheduler: FairScheduler, lanes: dict[Lane, int], log: Log) -> list[str]:
    """Queue ``n`` requests per lane behind a held slot, then release one at a time."""
    blocker = scheduler.lane("blocker")
    await blocker.__aenter__()
    tasks = [asyncio.create_task(lane.__aenter__()) for lane, n in lanes.items() for _ in range(n)]
    await settle()
    log.events.clear()
    scheduler.release(blocker)
    while not all(task.done() for task in tasks):
        await settle()
        granted = log.granted()
        scheduler.release(next(lane for lane in lanes if lane.name == granted[-1]))
    await asyncio.gather(*tasks)
    return log.granted()


async def test_waiting_clients_take_turns_round_robin() -> None:
    log = Log()
    scheduler = FairScheduler(max_in_flight=1, observer=log)
    a, b, c = scheduler.lane("a"), scheduler.lane("b"), scheduler.lane("c")
    order = await grants_in_order(scheduler, {a: 4, b: 2, c: 1}, log)
    assert order == ["a", "b", "c", "a", "b", "a", "a"]


async def test_a_weight_gives_a_client_more_turns_per_round() -> None:
    log = Log()
    scheduler = FairScheduler(max_in_flight=1, observer=log)
    heavy, light = scheduler.lane("h", weight=3), scheduler.lane("l")
    order = await grants_in_order(scheduler, {heavy: 6, light: 3}, log)
    assert order == ["h", "h", "h", "l", "h", "h", "h", "l", "l"]


async def test_a_per_client_cap_holds_that_client_back_but_not_the_others() -> None:
    scheduler = FairScheduler(max_in_flight=10, per_client_limit=1)
    a, b = scheduler.lane("a"), scheduler.lane("b")
    release = asyncio.Event()
    started: list[str] = []
    tasks = [asyncio.create_task(hold(lane, release, started)) for lane in (a, a, b)]
    await settle()
    assert sorted(started) == ["a", "b"]
    assert a.metrics().queued == 1
    release.set()
    await asyncio.gather(*tasks)
    assert started == ["a", "b", "a"]


async def test_a_cancelled_waiter_leaves_no_slot_taken() -> None:
    scheduler = FairScheduler(max_in_flight=1)
    lane = scheduler.lane("a")
    release = asyncio.Event()
    holder = asyncio.create_task(hold(lane, release))
    await settle()
    waiter = asyncio.create_task(lane.__aenter__())
    await settle()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert lane.metrics().queued == 0
    release.set()
    await holder
    assert scheduler.in_flight == 0
    async with lane:  # the slot is free again
        assert scheduler.in_flight == 1


async def test_a_waiter_cancelled_after_its_grant_gives_the_slot_back() -> None:
    scheduler = FairScheduler(max_in_flight=1)
    lane = scheduler.lane("a")
    await lane.__aenter__()
    waiter = asyncio.create_task(lane.__aenter__())
    await settle()
    scheduler.release(lane)  # granted to the waiter, which has not run yet
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert scheduler.in_flight == 0


async def test_a_rate_limit_makes_the_next_request_wait_for_the_bucket() -> None:
    log = Log()
    scheduler = FairScheduler(max_in_flight=10, rate_limit=1000, observer=log)
    lane = scheduler.lane("a")
    async with lane:
        pass
    async with lane:  # the bucket (burst 1) is empty: this one queued for the timer
        pass
    assert log.events == [("granted", "a"), ("queued", "a"), ("granted", "a")]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("max_in_flight", {"max_in_flight": 0}),
        ("rate_limit", {"rate_limit": -1}),
        ("burst", {"burst": 0.5}),
        ("per_client_limit", {"per_client_limit": 0}),
    ],
)
def test_bad_limits_are_refused_naming_the_argument(name: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FairScheduler(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == name


def test_a_lane_refuses_a_weight_that_is_not_positive() -> None:
    with pytest.raises(ConfigurationError, match="weight"):
        FairScheduler().lane("a", weight=0)


async def test_closing_fails_the_waiting_requests_and_stops_the_rate_timer() -> None:
    scheduler = FairScheduler(max_in_flight=10, rate_limit=0.001)  # one request per 1000 s
    lane = scheduler.lane("a")
    async with lane:  # the bucket's one token
        pass
    waiting = asyncio.create_task(hold(lane, asyncio.Event()))
    await settle()
    assert lane.metrics().queued == 1  # waiting for the rate timer

    scheduler.close()

    with pytest.raises(ClientClosedError):
        await waiting
    assert lane.metrics().queued == 0
    assert scheduler._timer is None  # cancelled: nothing fires after the close
    with pytest.raises(ClientClosedError):  # and nothing is scheduled any more
        async with lane:
            pass


async def test_a_partner_closes_its_scheduler() -> None:
    partner = ConfirmaPartner(partner_token="p" * 40, base_url="http://127.0.0.1:9/api/v1")
    await partner.aclose()
    with pytest.raises(ClientClosedError):
        await partner.scheduler.acquire(partner.scheduler.lane("late"))
