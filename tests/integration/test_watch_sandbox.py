"""watch_distributions against the sandbox, driven by its ManualClock: no sleeping, no timing.

Every test runs against both sandbox dialects (the ``dialect`` fixture); the alternate one's records
are read through the client's wire aliases.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from confirma_async import ConfirmaClient, DistributionRecord, DistributionStatus
from confirma_async.testing import Sandbox

from .conftest import TODAY, make_invoice

NUMBERS = list(range(910_000_001, 910_000_007))
INTERVAL = timedelta(minutes=10)  # distribution completes 5 minutes after acceptance

pytestmark = pytest.mark.usefixtures("dialect")  # every test: against both sandbox dialects


class StopWatching(Exception):
    """Raised by the fake sleep to end a watcher after a number of polls."""


def fake_sleep(sandbox: Sandbox, polls: int) -> Any:
    """An injected sleep: moves the sandbox clock instead of waiting; stops after ``polls``."""
    calls = 0

    async def sleep(seconds: float) -> None:
        nonlocal calls
        calls += 1
        if calls >= polls:
            raise StopWatching
        sandbox.advance(timedelta(seconds=seconds))

    return sleep


async def test_each_change_is_yielded_once_across_a_restart(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    for number in NUMBERS:
        await confirma_client.invoices.create(make_invoice(number, payment_control=number % 2 == 0))
    store: dict[str, str] = {}
    seen: list[tuple[int, str]] = []

    def watch(checkpoint: dict[str, Any] | None, polls: int) -> Any:
        return confirma_client.invoices.watch_distributions(
            since=TODAY,
            interval=INTERVAL,
            lookback=timedelta(days=7),
            clock=confirma_sandbox.clock,
            sleep=fake_sleep(confirma_sandbox, polls),
            checkpoint=checkpoint,
        )

    # Run 1: the first poll sees six queued invoices; ten minutes later they are delivered.
    # It "crashes" after the third delivered record.
    first = watch(None, polls=99)
    async for record in first:
        seen.append((record.invoice_number, str(record.distribution_status)))
        store["checkpoint"] = json.dumps(first.checkpoint)
        if len(seen) == 9:
            break
    assert [s for _, s in seen[:6]] == ["QUEUED"] * 6
    assert first.stats.polls == 1

    # Run 2 resumes from the persisted checkpoint: only the three deliveries not yet yielded,
    # then nothing more while the clock moves on (two more polls, then the fake sleep stops it).
    second = watch(json.loads(store["checkpoint"]), polls=3)
    records: list[DistributionRecord] = []
    with pytest.raises(StopWatching):
        await _collect(second, records, seen)
    assert len(records) == 3
    assert second.stats.polls == 3
    assert Counter(seen) == Counter(
        [(n, "QUEUED") for n in NUMBERS] + [(n, "DELIVERED") for n in NUMBERS]
    )
    assert all(r.distribution_status == DistributionStatus.DELIVERED for r in records)
    assert all(r.delivered_at is not None for r in records)


async def _collect(
    watcher: Any, into: list[DistributionRecord], seen: list[tuple[int, str]]
) -> None:
    async for record in watcher:
        into.append(record)
        seen.append((record.invoice_number, str(record.distribution_status)))


async def test_a_watcher_with_nothing_new_polls_without_yielding(
    confirma_client: ConfirmaClient, confirma_sandbox: Sandbox
) -> None:
    started = confirma_sandbox.clock.now()
    watcher = confirma_client.invoices.watch_distributions(
        since=TODAY,
        interval=60,
        clock=confirma_sandbox.clock,
        sleep=fake_sleep(confirma_sandbox, 5),
    )
    with pytest.raises(StopWatching):
        await _collect(watcher, [], [])
    assert watcher.stats.polls == 5
    assert watcher.stats.yielded == 0
    assert confirma_sandbox.clock.now() - started == timedelta(minutes=4)
