"""Three replicas watch one stream under a PostgreSQL lease while 10,000 invoices are distributed.

The sandbox runs in this process on a ManualClock; the replicas are separate processes
(``_watch_replica.py``) printing each handled record. The test submits invoices in four rounds of
2,500 (spread over ten invoice dates); after each round it waits until the records' QUEUED state
has been handled, moves the clock past the distribution delay, and waits until their DELIVERED
state has been handled. Mid-way through the second round's deliveries it SIGKILLs the replica
that is handling records. Synchronised by the replicas' output only; handover counted in leases
(epochs), not time.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from confirma_async import BatchStatus, ClientConfig, ConfirmaClient
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig

from ..integration.conftest import make_invoice

REPLICA = Path(__file__).with_name("_watch_replica.py")
FIRST_DAY = date(2025, 12, 27)
ROUNDS, PER_ROUND, DAYS = 4, 2_500, 10
BASE = 930_000_000
HANG_GUARD = 240  # seconds: only against a hang, never a speed expectation

pytestmark = pytest.mark.slow

Event = tuple[str, int, int, str]  # replica, lease epoch, invoice number, status


class Handled:
    """Every record the replicas printed, and a way to wait for a set of them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.count: Counter[tuple[int, str]] = Counter()
        self._changed = asyncio.Condition()

    async def read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            name, epoch, number, status = json.loads(line)
            async with self._changed:
                self.events.append((name, epoch, number, status))
                self.count[number, status] += 1
                self._changed.notify_all()

    async def wait_for(self, wanted: set[tuple[int, str]], at_least: int | None = None) -> None:
        def done() -> bool:
            have = sum(1 for w in wanted if w in self.count)
            return have >= (len(wanted) if at_least is None else at_least)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(done), HANG_GUARD)


async def test_three_replicas_one_killed_handle_every_change_with_duplicates_only_at_handover(
    postgres_dsn: str,
) -> None:
    config = SandboxConfig(distribution_failure_rate=0, debtor_payment_rate=0)
    async with Sandbox(config, clock=ManualClock()) as sb:
        fast = ClientConfig(backoff_base=0.0001, backoff_cap=0.0002, max_retries=4)
        replicas = {
            name: await asyncio.create_subprocess_exec(
                sys.executable,
                str(REPLICA),
                name,
                sb.base_url,
                sb.client_token,
                postgres_dsn,
                "1.5",
                stdout=asyncio.subprocess.PIPE,
            )
            for name in ("r1", "r2", "r3")
        }
        handled = Handled()
        readers = []
        for proc in replicas.values():
            assert proc.stdout is not None
            assert (await proc.stdout.readline()).strip() == b"ready"
            readers.append(asyncio.create_task(handled.read(proc.stdout)))
        killed: str | None = None
        try:
            async with ConfirmaClient(
                api_key=sb.client_token, base_url=sb.base_url, config=fast
            ) as client:
                for r in range(ROUNDS):
                    numbers = range(BASE + r * PER_ROUND, BASE + (r + 1) * PER_ROUND)
                    invoices = (
                        make_invoice(
                            n, day=FIRST_DAY + timedelta(days=n % DAYS), payment_control=False
                        )
                        for n in numbers
                    )
                    results = [x async for x in client.batch(64).submit_invoices(invoices)]
                    assert {x.status for x in results} == {BatchStatus.CREATED}
                    await handled.wait_for({(n, "QUEUED") for n in numbers})
                    sb.advance(timedelta(minutes=6))
                    delivered = {(n, "DELIVERED") for n in numbers}
                    if r == 1:  # mid-way: kill whoever is handling records right now
                        await handled.wait_for(delivered, at_least=PER_ROUND // 2)
                        killed = handled.events[-1][0]
                        replicas[killed].send_signal(signal.SIGKILL)
                    await handled.wait_for(delivered)
        finally:
            for proc in replicas.values():
                if proc.returncode is None:
                    proc.send_signal(signal.SIGKILL)
                await proc.wait()
            await asyncio.gather(*readers)

    expected = {
        (n, s) for n in range(BASE, BASE + ROUNDS * PER_ROUND) for s in ("QUEUED", "DELIVERED")
    }
    assert set(handled.count) == expected  # every change handled, nothing else
    epochs = sorted({(epoch, name) for name, epoch, _, _ in handled.events})
    assert len({e for e, _ in epochs}) == len(epochs)  # one replica per lease epoch
    assert killed is not None
    assert replicas[killed].returncode == -signal.SIGKILL
    handovers = len(epochs) - 1
    assert handovers >= 1  # the kill handed the stream over
    # A duplicate is a record handled and not yet committed when its holder lost the lease:
    # at most one per handover, delivered again by a later leaseholder, never twice by one.
    duplicates = {change: c for change, c in handled.count.items() if c > 1}
    assert set(duplicates.values()) <= {2}
    assert len(duplicates) <= handovers
    for change in duplicates:
        first, second = [e for name, e, n, s in handled.events if (n, s) == change]
        assert first < second
    print(f"handovers={handovers} duplicates={len(duplicates)} killed={killed}")
