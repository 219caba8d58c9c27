"""Seeded random schedules for the chaos tests, and the checks they end with.

A schedule is drawn from one ``random.Random(seed)``: the input (invoices with random amounts and
dates, exact repeats and repeats with other content), the fault rules and their rates, the client's
retry settings and the interruptions of each run. The same seed gives the same schedule; the
interleaving of requests on the event loop (and so which request meets which fault) can still
differ between two runs, because slow answers and client timeouts are real time.

Reproduce one seed: ``CONFIRMA_CHAOS_SEEDS=1234 pytest tests/integration/test_chaos_batch.py``
(also ``1000-1099`` for a range, or ``1,5,9``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from confirma_async import (
    BatchResult,
    BatchStream,
    BatchSubmitter,
    ClientConfig,
    ConfirmaClient,
    InvoiceRequest,
)
from confirma_async.models import from_wire
from confirma_async.testing import FaultRule, Faults, Sandbox, sample_invoice

Item = dict[str, Any]
T = TypeVar("T")
FAULT_KINDS = ("error", "rate_limit", "drop", "commit_drop", "slow")


def seeds(default: list[int]) -> list[int]:
    """The seeds to run: ``CONFIRMA_CHAOS_SEEDS`` (``7``, ``1-40``, ``3,9``) or ``default``."""
    spec = os.environ.get("CONFIRMA_CHAOS_SEEDS", "").strip()
    if not spec:
        return default
    chosen: list[int] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        chosen.extend(range(int(first), int(last or first) + 1))
    return chosen


@dataclass(kw_only=True)
class Settings:
    """How a schedule's runs are made: client and batch settings, interruptions, token expiry."""

    config: ClientConfig
    concurrency: int
    max_attempts: int
    breaker: int | None
    ordered: bool
    streamed: bool
    """Feed the input as an async generator (else a list)."""
    rate_limit: float | None
    interruptions: list[tuple[str, int]] = field(default_factory=list)
    """Per run, while they last: (kind, after how many results/turns); see :func:`drive`."""
    expire_at: int | None = None
    """Expire every token after this many results of the first run (``None``: never)."""

    def batch(self, client: ConfirmaClient, journal: Path) -> BatchSubmitter:
        """A submitter with these settings, writing ``journal``."""
        return client.batch(
            self.concurrency,
            ordered=self.ordered,
            journal=journal,
            max_attempts=self.max_attempts,
            breaker_threshold=self.breaker,
            rate_limit=self.rate_limit,
        )


def draw_settings(
    rng: random.Random, size: int, kinds: tuple[str, ...] = ("break", "cancel", "ticks")
) -> dict[str, Any]:
    """Random :class:`Settings` (as keyword arguments) for an input of ``size`` items."""
    return {
        "config": client_config(rng),
        "interruptions": draw_interruptions(rng, size, kinds),
        "concurrency": rng.choice((1, 3, 8, 16)),
        "max_attempts": rng.randint(1, 5),
        "breaker": rng.choice((None, 2, 5, 20)),
        "ordered": rng.random() < 0.3,
        "streamed": rng.random() < 0.3,
        "rate_limit": rng.choice((None, None, 2000.0)),
        "expire_at": rng.choice((None, rng.randint(0, size))),
    }


@dataclass(kw_only=True)
class Chaos(Settings):
    """One drawn schedule (see the module docstring)."""

    seed: int
    items: list[Item]
    first: dict[int, Item]
    """Each invoice number's first occurrence: the one that must be stored, with its content."""
    faults: list[FaultRule]

    def first_index(self, key: int) -> int:
        """The input index of ``key``'s first occurrence."""
        return self._first_index[key]

    def __post_init__(self) -> None:
        self._first_index: dict[int, int] = {}
        for index, item in enumerate(self.items):
            self._first_index.setdefault(item["invoice"]["header"]["number"], index)

    def describe(self) -> str:
        """One line for failure messages: how to rerun this schedule."""
        return f"seed {self.seed} (rerun: CONFIRMA_CHAOS_SEEDS={self.seed})"


def draw(seed: int, *, first_number: int, size: tuple[int, int] = (30, 90)) -> Chaos:
    """Draw the schedule of ``seed``."""
    rng = random.Random(seed)
    numbers = [first_number]
    for _ in range(rng.randint(*size) - 1):  # distinct, with gaps
        numbers.append(numbers[-1] + rng.randint(1, 3))
    first: dict[int, Item] = {}
    items: list[Item] = []
    for number in numbers:
        day = date(2026, 1, 5) - timedelta(days=rng.randint(0, 20))
        amount = Decimal(rng.randint(100, 999_999)) / 100
        item = sample_invoice(number, invoice_date=day, amount=amount, payment_control=False)
        first[number] = item  # numbers are distinct: every one's first occurrence
        items.append(item)
    for _ in range(rng.randint(0, len(items) // 4)):  # exact repeats, anywhere after the first
        at = rng.randrange(len(items))
        items.insert(rng.randint(at + 1, len(items)), items[at])
    for _ in range(rng.randint(0, 2)):  # the same number later with other content
        number = rng.choice(numbers)
        other = sample_invoice(number, amount=Decimal("1.01"), payment_control=False)
        at = items.index(first[number])
        items.insert(rng.randint(at + 1, len(items)), other)
    faults = fault_rules(rng, [("POST", "/invoice"), ("GET", "/invoice/distribution")])
    return Chaos(
        seed=seed, items=items, first=first, faults=faults, **draw_settings(rng, len(items))
    )


def fault_rules(rng: random.Random, endpoints: list[tuple[str, str]]) -> list[FaultRule]:
    """A random non-empty subset of :data:`FAULT_KINDS` per endpoint, at random rates, shuffled."""
    faults = []
    for method, path in endpoints:
        for kind in rng.sample(FAULT_KINDS, rng.randint(1, len(FAULT_KINDS))):
            rate = rng.choice((0.02, 0.05, 0.1, 0.2, 0.35))
            faults.append(
                FaultRule(
                    kind=kind,  # type: ignore[arg-type]
                    method=method,
                    path=path,
                    rate=rate,
                    status=rng.choice((500, 502, 503, 504)),
                    retry_after=1.0,  # capped by the client
                    delay=0.5,  # longer than the client's total timeout below
                )
            )
    rng.shuffle(faults)
    return faults


def client_config(rng: random.Random) -> ClientConfig:
    """Retries in microseconds, a random retry count, a timeout that a ``slow`` answer trips."""
    return ClientConfig(
        backoff_base=0.0001,
        backoff_cap=0.0005,
        retry_after_cap=0.001,
        max_retries=rng.randint(0, 3),
        total_timeout=0.25,  # trips on a ``slow`` answer (0.5 s), not on a normal one
        pool_timeout=0.2,
        connect_timeout=0.2,
    )


def draw_interruptions(
    rng: random.Random, size: int, kinds: tuple[str, ...] = ("break", "cancel", "ticks")
) -> list[tuple[str, int]]:
    """Up to three interruptions, one per run: (kind, after how many results or loop turns)."""
    return [(rng.choice(kinds), rng.randint(0, size)) for _ in range(rng.randint(0, 3))]


class RunnerBase:
    """What the runners of the chaos tests share: one sandbox, one client, one journal; the
    results of a run collected and checked one by one, tokens expired once mid-run."""

    def __init__(self, chaos: Settings, sandbox: Sandbox, client: ConfirmaClient, journal: Path):
        self.chaos, self.sandbox, self.client, self.journal = chaos, sandbox, client, journal
        self.expired = chaos.expire_at is None
        self.last_requests = -1

    def check(self, result: BatchResult[Any, Any]) -> None:
        """Check one result as it arrives (the test's rules)."""
        raise NotImplementedError

    def collect(
        self, results: list[BatchResult[Any, Any]]
    ) -> Callable[[BatchResult[Any, Any]], None]:
        """The ``on_result`` of a run: keep and check each result; expire tokens when due."""

        def on_result(result: BatchResult[Any, Any]) -> None:
            results.append(result)
            self.check(result)
            if not self.expired and len(results) >= (self.chaos.expire_at or 0):
                self.expired = True
                self.sandbox.advance(timedelta(seconds=1))  # tokens so far are before the cut
                self.sandbox.expire_tokens_at(self.sandbox.clock.now())

        return on_result


def feed(items: list[T], streamed: bool) -> Iterable[T] | AsyncIterator[T]:
    """The input as a schedule wants it: the list, or an async generator over it."""

    async def stream() -> AsyncIterator[T]:
        for item in items:
            await asyncio.sleep(0)  # an input that suspends between items, as a reader does
            yield item

    return stream() if streamed else items


async def drive(
    stream: BatchStream[Any, Any],
    stop: tuple[str, int] | None,
    on_result: Callable[[BatchResult[Any, Any]], None],
    faults: Faults | None = None,
    held_endpoint: tuple[str, str] = ("*", "*"),
) -> None:
    """Consume ``stream`` (handing each result to ``on_result``) until it ends or ``stop`` says.

    ``stop`` is (kind, k): ``break`` leaves the stream after k results; ``cancel`` cancels its
    task after k results; ``ticks`` cancels it after k event-loop turns; ``hold`` (needs
    ``faults``) holds the next request to ``held_endpoint`` (method, path) after k results and
    cancels the task once that request is in flight, so an item is surely between sent and
    answered when it stops.
    """
    reached = asyncio.Event()

    async def consume() -> None:
        count = 0
        async with stream:
            async for result in stream:
                count += 1
                on_result(result)
                if stop is not None and count >= stop[1]:
                    if stop[0] == "break":
                        return
                    reached.set()

    task = asyncio.create_task(consume())
    held = None
    if stop is not None and stop[0] in ("cancel", "hold"):
        waiter = asyncio.create_task(reached.wait())
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if stop[0] == "hold" and not task.done():
            assert faults is not None
            held = faults.hold(*held_endpoint, count=1)
            in_flight = asyncio.create_task(held.wait_held(1))
            await asyncio.wait([task, in_flight], return_when=asyncio.FIRST_COMPLETED)
            in_flight.cancel()
    elif stop is not None and stop[0] == "ticks":
        for _ in range(stop[1]):  # event-loop turns, not time
            if task.done():
                break
            await asyncio.sleep(0)
    if stop is not None and stop[0] != "break":
        task.cancel()
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        if held is not None:
            held.end()


def same_content(stored: dict[str, Any], sent: Item) -> bool:
    """True when what the sandbox stored decodes to the invoice that was meant to be sent."""
    return from_wire(stored, InvoiceRequest) == from_wire(sent, InvoiceRequest)


def check_stored_exactly_once(chaos: Chaos, sandbox: Sandbox, client_id: str | None = None) -> None:
    """From the sandbox's own record: every number once, nothing else, each with its content."""
    why = chaos.describe()
    accepted = sandbox.state.accepted_counts(client_id)
    assert accepted == dict.fromkeys(chaos.first, 1), why
    for number, item in chaos.first.items():
        stored = sandbox.state.invoice(number, client_id)
        assert stored is not None, f"{why}: {number}"
        assert same_content(stored.body, item), f"{why}: {number}"
