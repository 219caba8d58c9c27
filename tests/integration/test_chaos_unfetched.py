"""Chaos for unfetched-only settlement reads (A13, A110): each settlement handed out at most once,
and one the server marked fetched without handing it out lies in a window the client named.

The server marks what an ``unfetched_only=True`` read returns as fetched, so such a settlement
comes back that way once, and an answer that is lost takes its window's settlements with it (they
must then be re-read by date). Each seed fills a sandbox as the pager chaos does
(``pager_chaos.py``: small responses, short windows, an overfull day now and then) and reads
random date ranges with ``unfetched_only=True`` under random faults on the listings and random
early stops (``break``, ``aclose``, the consuming task cancelled). What must hold, from the
sandbox's own settlements:

* no settlement is handed out twice, over all reads of a seed;
* a settlement the server marked fetched but no read handed out lies in a window the client
  named as possibly lost: a ``PaginationError`` with an unknown outcome, the window a stopped
  read was inside (``pager.checkpoint``), or for a cancelled read, the window it may have been
  fetching when cancelled (prefetch is 0: nothing further was asked for).

``CONFIRMA_CHAOS_SEEDS=N`` reruns a seed.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from confirma_async import ConfirmaClient, PaginationError, Settlement
from confirma_async.testing import Sandbox

from ..chaos import seeds
from .pager_chaos import DAY, LAST, draw, fill, sandbox_for

QUICK = [2, 5, 8, 13]
READS = 8
CALM_AFTER = 5  # reads after this many meet no fault


def dates(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


async def read(
    client: ConfirmaClient, start: date, end: date, window: int, stop: tuple[str, int] | None
) -> tuple[list[Settlement], set[date]]:
    """One unfetched-only read of ``[start, end]``: what it handed out, and the dates whose
    settlements it may have had marked fetched without handing them out."""
    pager = client.payments.settlements(
        start, end, unfetched_only=True, window=timedelta(days=window)
    )
    got: list[Settlement] = []
    at_risk: set[date] = set()
    reached = asyncio.Event()

    async def consume() -> None:
        async for settlement in pager:
            got.append(settlement)
            if stop is not None and len(got) >= stop[1]:
                if stop[0] == "break":
                    break
                if stop[0] == "aclose":
                    await pager.aclose()
                    break
                reached.set()  # "cancel": keep reading until the task is cancelled

    task = asyncio.create_task(consume())
    cancelled = False
    try:
        if stop is not None and stop[0] == "cancel":
            waiter = asyncio.create_task(reached.wait())
            await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            cancelled = task.cancel()
        await task
    except asyncio.CancelledError:
        assert cancelled
    except PaginationError as exc:
        if getattr(exc.__cause__, "outcome_unknown", False):
            at_risk |= dates(exc.window_start, exc.window_end)
    finally:
        await pager.aclose()
    mark = pager.checkpoint
    following = date.fromisoformat(mark["next"])
    if mark["skip_through"] is not None:  # stopped inside a window: the rest of it went too
        at_risk |= dates(following, date.fromisoformat(mark["skip_through"]))
    if cancelled and following <= end:  # the window it may have been fetching
        at_risk |= dates(following, min(end, following + timedelta(days=window - 1)))
    return got, at_risk


@pytest.mark.parametrize("seed", seeds(QUICK), ids=lambda s: f"seed_{s}")
async def test_unfetched_only_reads_hand_out_each_settlement_once_or_name_where_it_went(
    seed: int,
) -> None:
    schedule = draw(seed, streams=0)
    rng = random.Random(f"unfetched-{seed}")
    days = (LAST - schedule.first).days + 1
    handed: Counter[int] = Counter()
    at_risk: set[date] = set()
    reads: list[Any] = []
    async with sandbox_for(schedule) as sandbox:
        fill(schedule, sandbox)
        for rule in schedule.faults:
            sandbox.faults.add(rule)
        async with ConfirmaClient(
            api_key=sandbox.client_token, base_url=sandbox.base_url, config=schedule.client
        ) as client:
            for number in range(READS):
                if number == CALM_AFTER:
                    sandbox.faults.clear()
                start = schedule.first + rng.randrange(days) * DAY
                end = min(LAST, start + rng.randint(0, 10) * DAY)
                window = rng.choice((1, 2, 3, 5))
                kind = rng.choice((None, "break", "aclose", "cancel"))
                stop = None if kind is None else (kind, rng.randint(1, 6))
                got, risk = await read(client, start, end, window, stop)
                handed.update(s.settlement_id for s in got)
                at_risk |= risk
                reads.append((start, end, window, stop, len(got), sorted(risk)))
        check(sandbox, handed, at_risk, f"seed {seed} (CONFIRMA_CHAOS_SEEDS={seed}): {reads}")


def check(sandbox: Sandbox, handed: Counter[int], at_risk: set[date], why: str) -> None:
    settlements = [s for s in sandbox.state.ledger.settlements if s.client_id == sandbox.client_id]
    assert max(handed.values(), default=0) <= 1, (why, handed.most_common(3))
    known = {s.settlement_id for s in settlements}
    assert set(handed) <= known, why
    for s in settlements:
        if s.fetched_at is not None and not handed[s.settlement_id]:
            assert s.settlement_date in at_risk, (why, s.settlement_id, s.settlement_date)
        if handed[s.settlement_id]:
            assert s.fetched_at is not None, (why, s.settlement_id)
