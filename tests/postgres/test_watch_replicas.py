"""Three replicas watch one stream under a PostgreSQL lease while 10,000 invoices are distributed.

The sandbox runs in this process on a ManualClock; the replicas are separate processes
(``_watch_replica.py``) printing each handled record. The test hands invoices to the sandbox in
four rounds of 2,500, spread over ten invoice dates (through the sandbox's own ``POST /invoice``
code, without HTTP: this test is about the watchers, not the uploads). After each round it waits
until the records' QUEUED state has been handled, moves the clock past the distribution delay,
and waits until their DELIVERED state has been handled. Mid-way through the second round's
deliveries it SIGKILLs the replica that is handling records. Synchronised by the replicas' output
only; handover counted in leases (epochs), not time.
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

from confirma_async import InvoiceRequest
from confirma_async._core.json import dumps, loads
from confirma_async.models._convert import to_wire
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig
from confirma_async.testing._schemas import check_invoice

from ..integration.conftest import make_invoice

REPLICA = Path(__file__).with_name("_watch_replica.py")
FIRST_DAY = date(2025, 12, 27)
ROUNDS, PER_ROUND, DAYS = 4, 2_500, 10
BASE = 930_000_000
HANG_GUARD = 240  # seconds: only against a hang, never a speed expectation

pytestmark = pytest.mark.slow

Event = tuple[str, int, int, str]  # replica, lease epoch, invoice number, status


def accept(sb: Sandbox, invoice: InvoiceRequest) -> None:
    """What ``POST /invoice`` does with a valid invoice, minus the HTTP round trip."""
    body = loads(dumps(to_wire(invoice)))
    sb.state.create_invoice(sb.client_id, check_invoice(body), body)


class Handled:
    """Every record the replicas printed, and a way to wait for a set of them (kept O(1) per
    record: the test process also runs the sandbox)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.count: Counter[tuple[int, str]] = Counter()
        self._missing: set[tuple[int, str]] = set()
        self._enough = 0
        self._reached = asyncio.Event()

    async def read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            name, epoch, number, status = json.loads(line)
            self.events.append((name, epoch, number, status))
            self.count[number, status] += 1
            self._missing.discard((number, status))
            if len(self._missing) <= self._enough:
                self._reached.set()

    async def wait_for(self, wanted: set[tuple[int, str]], at_least: int | None = None) -> None:
        self._missing = {w for w in wanted if w not in self.count}
        self._enough = 0 if at_least is None else len(wanted) - at_least
        self._reached.clear()
        if len(self._missing) > self._enough:
            await asyncio.wait_for(self._reached.wait(), HANG_GUARD)


async def test_three_replicas_one_killed_handle_every_change_with_duplicates_only_at_handover(
    postgres_dsn: str,
) -> None:
    config = SandboxConfig(distribution_failure_rate=0, debtor_payment_rate=0)
    async with Sandbox(config, clock=ManualClock()) as sb:
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
            for r in range(ROUNDS):
                numbers = range(BASE + r * PER_ROUND, BASE + (r + 1) * PER_ROUND)
                for n in numbers:
                    day = FIRST_DAY + timedelta(days=n % DAYS)
                    accept(sb, make_invoice(n, day=day, payment_control=False))
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
