"""Seeded chaos for the streaming pagers: the data a seed fills a sandbox with, the streams it
draws, and the expected stream of every listing, read from the sandbox's own records.

A seed draws (from one ``random.Random(seed)``) a sandbox with a small per-response maximum and a
short longest window, fills it with invoices, payments and settlements spread over many days
(generated records plus stored ones made through the sandbox's state helpers, day by day on a
``ManualClock`` that then stands still), random fault rules on the three listing endpoints, the
client's retry settings, and a series of streams: listing, date range, pager options, how the
records are consumed and how (if at all) the consumer stops early.

The expected stream of a listing over a range is what the server would send for each day of it,
in the server's order (invoice date then number; stored payments then generated ones per day;
settlements by date), read straight from the sandbox's listing builders with the limit lifted.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from confirma_async import ClientConfig, DistributionRecord, Payment, Settlement
from confirma_async.models import from_wire
from confirma_async.resources.payments import payment_key
from confirma_async.testing import FaultRule, ManualClock, Sandbox, SandboxConfig, sample_invoice
from confirma_async.testing._listing import distribution_body, payments_body, settlements_document
from confirma_async.testing._query import Window
from confirma_async.testing._schemas import check_invoice
from confirma_async.testing._state import SandboxState

DAY = timedelta(days=1)
LAST = date(2026, 1, 4)
FIRST_NUMBER = 4_100_000
LISTINGS = ("distributions", "payments", "settlements")
PATHS = {
    "distributions": "/invoice/distribution",
    "payments": "/payments",
    "settlements": "/settlements",
}
FAULT_KINDS = ("error", "rate_limit", "drop", "commit_drop", "slow", "latency")
STOPS = ("break", "with_break", "aclose", "cancel", "ticks")
TIMEOUT = 0.15
"""The client's total timeout: a ``slow`` answer (twice as long) trips it, a normal one does not."""


@dataclass(kw_only=True)
class Stream:
    """One drawn stream: what is read, how, and how the consumer stops."""

    listing: str
    start: date
    end: date
    options: dict[str, Any]
    mode: str
    """``items`` (``async for``), ``pages`` (``pager.pages()``) or ``to_list``."""
    stop: tuple[str, int] | None
    """(kind, k): see :data:`STOPS` (``to_list``: ``("limit", k)``); ``None`` reads to the end."""

    @property
    def hint(self) -> int | None:
        """The ``max_records_per_response`` given to the pager, if any."""
        value: int | None = self.options.get("max_records_per_response")
        return value


@dataclass(kw_only=True)
class Schedule:
    """Everything one seed draws."""

    seed: int
    dialect: str
    config: SandboxConfig
    client: ClientConfig
    faults: list[FaultRule]
    streams: list[Stream]
    first: date = LAST
    expected: dict[str, dict[date, list[tuple[Hashable, Any]]]] = field(default_factory=dict)
    """Per listing, per day: (identity, record) in the server's order, from the sandbox itself."""

    def describe(self) -> str:
        """How to rerun this schedule (for failure messages)."""
        return f"seed {self.seed} (rerun: CONFIRMA_CHAOS_SEEDS={self.seed})"

    def sequence(self, listing: str, start: date, end: date) -> list[tuple[Hashable, Any]]:
        """The expected stream of ``listing`` over ``[start, end]``."""
        days = self.expected[listing]
        out: list[tuple[Hashable, Any]] = []
        day = start
        while day <= end:
            out.extend(days.get(day, ()))
            day += DAY
        return out

    def overfull(self, stream: Stream, start: date | None = None) -> date | None:
        """The first day of the stream's range (from ``start``) one window cannot hold."""
        limit = self.config.max_records_per_response
        hint = None if stream.listing == "distributions" else stream.hint
        day = stream.start if start is None else start
        while day <= stream.end:
            count = len(self.expected[stream.listing].get(day, ()))
            if count > limit or (hint is not None and count >= hint):
                return day
            day += DAY
        return None


def draw(seed: int, streams: int) -> Schedule:
    """The schedule of ``seed`` (the data is filled later, by :func:`fill`)."""
    rng = random.Random(seed)
    days = rng.randint(12, 28)
    limit = rng.choice((5, 7, 9, 12))
    config = SandboxConfig(
        seed=seed,
        max_records_per_response=limit,
        max_window_days=rng.choice((3, 5, 9, 366)),
        distribution_failure_rate=0.1,
        debtor_payment_rate=0,
        settlement_delay=DAY,
        generated_records=days * rng.randint(0, limit // 2),
        generated_payments=days * rng.randint(0, limit // 3),
        generated_days=days,
        generated_end=LAST,
        dialect="alternate" if seed % 2 else "reference",
        shutdown_timeout=0.05,
    )
    client = client_config(rng.randint(0, 3))
    first = LAST - (days - 1) * DAY
    return Schedule(
        seed=seed,
        dialect=config.dialect,
        config=config,
        client=client,
        faults=_faults(rng),
        streams=[_stream(rng, first, days, limit) for _ in range(streams)],
        first=first,
    )


def client_config(max_retries: int) -> ClientConfig:
    """Retries in microseconds, ``max_retries`` of them, a timeout a ``slow`` answer trips."""
    return ClientConfig(
        backoff_base=0.0001,
        backoff_cap=0.0005,
        retry_after_cap=0.001,
        max_retries=max_retries,
        total_timeout=TIMEOUT,
        connect_timeout=TIMEOUT / 2,
        pool_timeout=TIMEOUT / 2,
    )


def _faults(rng: random.Random) -> list[FaultRule]:
    rules = []
    for path in PATHS.values():
        for kind in rng.sample(FAULT_KINDS, rng.randint(1, len(FAULT_KINDS))):
            rules.append(
                FaultRule(
                    kind=kind,  # type: ignore[arg-type]
                    method="GET",
                    path=path,
                    rate=rng.choice((0.03, 0.08, 0.15, 0.3)),
                    status=rng.choice((500, 502, 503, 504)),
                    retry_after=1.0,  # capped by the client at 1 ms
                    delay=2 * TIMEOUT,
                    latency=0.002,
                    jitter=0.01,
                )
            )
    rng.shuffle(rules)
    return rules


def _stream(rng: random.Random, first: date, days: int, limit: int) -> Stream:
    start = first + rng.randint(-3, days - 1) * DAY
    end = start + rng.randint(0, days + 2) * DAY
    window = rng.choice((1, 1, 2, 3, 5, 8, 16, 40))
    options: dict[str, Any] = {
        "window": window * DAY,
        "min_window": rng.choice((1, max(1, window // 2), window)) * DAY,
        "prefetch": rng.choice((0, 1, 2, 2, 4)),
    }
    if rng.random() < 0.4:
        options["max_records_per_response"] = limit
    mode = rng.choice(("items", "items", "items", "pages", "to_list"))
    stop: tuple[str, int] | None = None
    if rng.random() < 0.6:
        kinds = ("break", "with_break", "aclose") if mode == "pages" else STOPS
        stop = ("limit", rng.randint(0, 3 * limit)) if mode == "to_list" else None
        stop = stop or (rng.choice(kinds), rng.randint(0, 3 * limit if mode != "pages" else 4))
    return Stream(
        listing=rng.choice(LISTINGS),
        start=start,
        end=end,
        options=options,
        mode=mode,
        stop=stop,
    )


def sandbox_for(schedule: Schedule) -> Sandbox:
    """The schedule's sandbox, its clock at 09:00 UTC on the first day of the data."""
    start = datetime.combine(schedule.first, time(9), UTC)
    return Sandbox(schedule.config, clock=ManualClock(start))


def fill(schedule: Schedule, sandbox: Sandbox) -> None:
    """Store invoices and payments day by day (settlements follow a day later), then read the
    expected stream of every listing from the sandbox; the clock stands still afterwards."""
    rng = random.Random(f"fill-{schedule.seed}")
    state, client_id = sandbox.state, sandbox.client_id
    number, cents = FIRST_NUMBER, 0
    cases: list[Any] = []
    day = schedule.first
    overfull = schedule.first + rng.randint(0, 30) * DAY if rng.random() < 0.3 else None
    while day <= LAST:
        extra = schedule.config.max_records_per_response + 1 if day == overfull else 0
        for _ in range(rng.randint(0, 3) + extra):
            number += rng.randint(1, 3)
            dated = max(schedule.first, day - rng.randint(0, 2) * DAY)
            body = sample_invoice(number, invoice_date=day if extra else dated)
            invoice = state.create_invoice(client_id, check_invoice(body), body)
            if invoice.case is not None:
                cases.append(invoice)
        for _ in range(rng.randint(0, 3)):
            active = [i for i in cases if i.case.active]
            if not active:
                break
            invoice = rng.choice(active)
            cents += 1  # distinct amounts: distinct A12 keys
            reference = state.reference_of(invoice)
            state.ledger.pay(
                invoice.case,
                sandbox.clock.now(),
                day - rng.randint(0, 1) * DAY,
                Decimal(100 + cents) / 100,
                account_name="Chaos Payer",
                reference=reference,
                original_reference=reference,
            )
        sandbox.advance(DAY)
        state.sync()  # the settlement runs of yesterday's payments
        day += DAY
    schedule.expected = expected(state, client_id, schedule.first - 5 * DAY, LAST + 5 * DAY)


def _loads(body: bytes) -> Any:
    return json.loads(body, parse_float=Decimal)  # "1.20" stays 1.20, as the client reads it


@contextmanager
def _unlimited(state: SandboxState) -> Iterator[None]:
    config = state.config
    state.config = dataclasses.replace(config, max_records_per_response=10**9)
    try:
        yield
    finally:
        state.config = config


def expected(
    state: SandboxState, client_id: str, first: date, last: date
) -> dict[str, dict[date, list[tuple[Hashable, Any]]]]:
    """Every day's records of every listing, as the sandbox's own listing builders write them."""
    out: dict[str, dict[date, list[tuple[Hashable, Any]]]] = {name: {} for name in LISTINGS}
    day = first
    with _unlimited(state):
        while day <= last:
            window = Window(day, day, False)
            body = _loads(distribution_body(state, client_id, window, None, None))
            records = [from_wire(r, DistributionRecord) for r in body["distributions"]]
            payments = [
                from_wire(p, Payment) for p in _loads(payments_body(state, client_id, window))
            ]
            document = settlements_document(state, client_id, window, unfetched_only=False)
            settlements = [from_wire(s, Settlement) for s in document["settlements"]]
            out["distributions"][day] = [(r.invoice_number, r) for r in records]
            out["payments"][day] = [(payment_key(p), p) for p in payments]
            out["settlements"][day] = [(s.settlement_id, s) for s in settlements]
            day += DAY
    for listing, days in out.items():  # identities are unique: each must come exactly once
        keys = [key for records in days.values() for key, _ in records]
        assert len(keys) == len(set(keys)), f"{listing}: the data repeats an identity"
    return out
