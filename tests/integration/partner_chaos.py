"""A seeded chaos run of one or more ConfirmaPartner replicas acting for several creditors.

Used by ``test_partner_chaos.py`` (one partner, a memory token store) and by
``tests/postgres/test_partner_chaos_replicas.py`` (two partners sharing a PostgresTokenStore).
Everything random comes from ``random.Random(seed)``; the seed is printed (``-s``) and named in
every assertion message, so ``CHAOS_SEED=<seed>`` replays the same schedule of operations and
chaos events (socket timing may still interleave them differently).

Each creditor owns the invoice numbers ``index * 100_000 + n``, so any stored invoice, record or
payment tells whose it is. Every request a creditor's caller makes is tagged with the header
``X-Chaos-Creditor`` (a ``with_options`` view), and the sandbox logs which client's token each
request carried (``Sandbox.record_requests``): the two must always agree. Some creditors are
*clean* (no fault, expiry, revocation, cancellation or closing aimed at them; only the one
expiry of every token, once per run, since a request renews once): every one of their
operations must succeed whatever happens to the others (renewals included).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp

from confirma_async import (
    ActionCode,
    ActionData,
    ActionsRequest,
    ConfirmaError,
    ConfirmaPartner,
    DistributionRecord,
    InvoiceAction,
    NewClientRequest,
)
from confirma_async.models._convert import from_wire
from confirma_async.partner import PartnerClient
from confirma_async.testing import FaultRule, Sandbox, sample_client

from .conftest import TODAY, make_invoice

TAG = "X-Chaos-Creditor"
BLOCK = 100_000
"""Creditor ``k`` owns the invoice numbers ``k * BLOCK + n``."""

_ENDPOINTS = [
    ("POST", "/invoice"),
    ("GET", "/invoice/distribution"),
    ("GET", "/payments"),
    ("GET", "/renew"),
    ("GET", "/validate"),
    ("*", "*"),
]


def seeds(default: Sequence[int]) -> list[int]:
    """The seeds to run: ``CHAOS_SEED`` (one, to replay) or ``default``."""
    chosen = os.environ.get("CHAOS_SEED")
    return [int(chosen)] if chosen else list(default)


def owner_of(number: int | str | None) -> int | None:
    """The index of the creditor an invoice number belongs to."""
    if number is None:
        return None
    return int(number) // BLOCK


class Progress:
    """Counts finished requests (an aiohttp trace), so chaos can strike after N of them."""

    def __init__(self) -> None:
        self.count = 0
        self.done = False
        self._changed = asyncio.Condition()

    def trace(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def finished(*_: Any) -> None:
            self.count += 1
            async with self._changed:
                self._changed.notify_all()

        config.on_request_end.append(finished)
        config.on_request_exception.append(finished)
        return config

    async def finish(self) -> None:
        self.done = True
        async with self._changed:
            self._changed.notify_all()

    async def after(self, n: int) -> None:
        """Return once ``n`` more requests finished (or every operation is over)."""
        target = self.count + n
        async with self._changed:
            await self._changed.wait_for(lambda: self.done or self.count >= target)


@dataclass
class Creditor:
    """One creditor: its index (number block), id, and what its callers saw."""

    index: int
    client_id: str
    name: str
    clean: bool
    next_number: int = 0
    confirmed: set[int] = field(default_factory=set)
    """Invoice numbers a caller was told are on the server (created or already there)."""
    sent: set[int] = field(default_factory=set)
    closed: bool = False
    revoked: bool = False
    """Its token was revoked and no fresh one was handed over: it is locked out, rightly."""

    def numbers(self, n: int) -> list[int]:
        start = self.index * BLOCK + self.next_number + 1
        self.next_number += n
        return list(range(start, start + n))


@dataclass
class Seen:
    """What every caller got: errors (by creditor and operation) and results, for the checks."""

    errors: list[tuple[Creditor, str, BaseException]] = field(default_factory=list)
    results: list[object] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    """Results handed to a creditor's caller that belong to another creditor."""
    ops: int = 0


class Captured(logging.Handler):
    """Every stdlib log record of the run, formatted (the library logs through stdlib)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(f"{record.getMessage()} {record.__dict__!r}")


@contextlib.contextmanager
def captured_logs() -> Iterator[Captured]:
    """Capture every log record (the library's at DEBUG) while the block runs."""
    handler = Captured()
    root = logging.getLogger()
    library = logging.getLogger("confirma_async")
    before = library.level
    library.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        library.setLevel(before)


async def onboard(partner: ConfirmaPartner, n: int, rng: random.Random) -> list[Creditor]:
    """Onboard ``n`` creditors concurrently; about half of them (at least one) are clean."""
    names = [f"Chaos {i} Oy" for i in range(n)]
    requests = [from_wire(sample_client(name), NewClientRequest) for name in names]
    created = await asyncio.gather(*(partner.onboard(r) for r in requests))
    clean = set(rng.sample(range(n), max(1, n // 2)))
    creditors = []
    for i, c in enumerate(created):
        assert c.client_id is not None
        creditors.append(Creditor(i + 1, c.client_id, names[i], clean=i in clean))
    return creditors


def tagged(client: PartnerClient, creditor: Creditor) -> PartnerClient:
    """The view a creditor's caller uses: every request names the creditor it is made for."""
    return client.with_options(headers={TAG: creditor.client_id})


class Operations:
    """What a creditor's callers do: bulk uploads, single uploads, listings, validation."""

    def __init__(self, seen: Seen, rng: random.Random) -> None:
        self.seen = seen
        self.rng = rng

    def pick(self, creditor: Creditor) -> tuple[str, Callable[[PartnerClient], Awaitable[None]]]:
        rng = self.rng
        kind = rng.choice(
            ["bulk", "bulk", "single", "distributions", "payments", "validate", "case", "action"]
        )
        if kind in ("case", "action"):
            return kind, lambda c: self.on_own_invoice(c, creditor, kind)
        if kind == "bulk":
            numbers = creditor.numbers(rng.randint(3, 12))
            creditor.sent.update(numbers)
            concurrency = rng.choice([1, 3, 8])
            return kind, lambda c: self.bulk(c, creditor, numbers, concurrency)
        if kind == "single":
            (number,) = creditor.numbers(1)
            creditor.sent.add(number)
            return kind, lambda c: self.single(c, creditor, number)
        if kind == "distributions":
            return kind, lambda c: self.distributions(c, creditor)
        if kind == "payments":
            return kind, lambda c: self.payments(c, creditor)
        return kind, lambda c: self.validate(c, creditor)

    def _belongs(self, creditor: Creditor, what: str, number: int | str | None) -> None:
        if owner_of(number) != creditor.index:
            self.seen.wrong.append(f"{creditor.client_id} got {what} of invoice {number}")

    async def bulk(
        self, client: PartnerClient, creditor: Creditor, numbers: list[int], concurrency: int
    ) -> None:
        invoices = [make_invoice(n) for n in numbers]
        async for result in client.batch(concurrency, breaker_threshold=None).submit_invoices(
            invoices
        ):
            self.seen.results.append(result)
            self._belongs(creditor, "a batch result", result.key)  # type: ignore[arg-type]
            if isinstance(result.response, DistributionRecord):
                self._belongs(creditor, "a looked-up record", result.response.invoice_number)
            if result.ok:
                creditor.confirmed.add(int(result.key))  # type: ignore[arg-type]
            elif result.error is not None:
                self.seen.errors.append((creditor, "bulk item", result.error))

    async def single(self, client: PartnerClient, creditor: Creditor, number: int) -> None:
        created = await client.invoices.create(make_invoice(number))
        self.seen.results.append(created)
        if created.invoice_number is not None:
            self._belongs(creditor, "an upload receipt", created.invoice_number)
        creditor.confirmed.add(number)

    async def distributions(self, client: PartnerClient, creditor: Creditor) -> None:
        records = await client.invoices.distributions(TODAY, TODAY).to_list()
        self.seen.results.extend(records)
        for record in records:
            self._belongs(creditor, "a distribution record", record.invoice_number)

    async def payments(self, client: PartnerClient, creditor: Creditor) -> None:
        payments = await client.payments.payments_window(TODAY, TODAY)
        self.seen.results.extend(payments)
        for payment in payments:
            self._belongs(creditor, "a payment", payment.invoice_number)

    async def on_own_invoice(self, client: PartnerClient, creditor: Creditor, kind: str) -> None:
        """Read the case of, or comment on, an invoice of the creditor's on the server."""
        if not creditor.confirmed:  # nothing of its own there yet
            await self.distributions(client, creditor)
        elif kind == "case":
            await self.case(client, creditor, self.rng.choice(sorted(creditor.confirmed)))
        else:
            await self.action(client, self.rng.choice(sorted(creditor.confirmed)))

    async def case(self, client: PartnerClient, creditor: Creditor, number: int) -> None:
        details = await client.invoices.case(invoice_number=number)
        self.seen.results.append(details)
        if details.case.summary.creditor != creditor.name:
            self.seen.wrong.append(
                f"{creditor.client_id} got the case of {details.case.summary.creditor}"
            )

    async def action(self, client: PartnerClient, number: int) -> None:
        comment = InvoiceAction(
            code=ActionCode.COMMENT, comment="chaos", data=ActionData(invoice_number=number)
        )
        self.seen.results.append(
            await client.invoices.create_actions(ActionsRequest(actions=[comment]))
        )

    async def validate(self, client: PartnerClient, creditor: Creditor) -> None:
        # An expired token answers is_valid=False (A19): validating renews nothing.
        self.seen.results.append(await client.onboarding.validate_token())


@dataclass
class Run:
    """One chaos run's parts: the sandbox, the partner replicas and the creditors."""

    seed: int
    sandbox: Sandbox
    partners: Sequence[ConfirmaPartner]
    creditors: list[Creditor]
    progress: Progress
    seen: Seen = field(default_factory=Seen)
    events: list[str] = field(default_factory=list)


async def run_chaos(run: Run, *, ops_per_creditor: int, chaos_events: int) -> None:
    """Every creditor's operations, concurrently, while chaos strikes; then wait for all."""
    rng = random.Random(run.seed * 7919 + 1)
    operations = Operations(run.seen, rng)
    tasks: dict[asyncio.Task[None], Creditor] = {}
    for creditor in run.creditors:
        for _ in range(_CHAINS):  # each chain's operations one after the other
            steps = []
            for _ in range(ops_per_creditor // _CHAINS):
                partner = rng.choice(run.partners)
                kind, op = operations.pick(creditor)
                steps.append((kind, op, tagged(partner.client(creditor.client_id), creditor)))
            tasks[asyncio.create_task(_chain(run, creditor, steps))] = creditor
    chaos = asyncio.create_task(_strike(run, rng, tasks, chaos_events))
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    await run.progress.finish()
    await chaos
    bugs = [o for o in outcomes if isinstance(o, Exception)]  # not the library's errors
    assert bugs == [], f"seed {run.seed}, chaos {run.events}: {bugs!r}"
    for task, creditor in tasks.items():
        if task.cancelled():
            assert not creditor.clean, f"seed {run.seed}: a clean creditor's task was cancelled"


_CHAINS = 2
"""Concurrent chains of operations per creditor (later ones see what earlier ones stored)."""


async def _chain(
    run: Run,
    creditor: Creditor,
    steps: list[tuple[str, Callable[[PartnerClient], Awaitable[None]], PartnerClient]],
) -> None:
    for kind, op, view in steps:
        try:
            await op(view)
        except ConfirmaError as exc:
            run.seen.errors.append((creditor, kind, exc))
        run.seen.ops += 1


async def _strike(
    run: Run, rng: random.Random, tasks: dict[asyncio.Task[None], Creditor], events: int
) -> None:
    """The chaos: token expiries, revocations, per-client faults, cancellations, closings."""
    sandbox = run.sandbox
    chaotic = [c for c in run.creditors if not c.clean]
    closed_one = expired_all = False
    for _ in range(events):
        await run.progress.after(rng.randint(1, 6))
        if run.progress.done:
            return
        event = rng.choice(
            ["expire_all", "expire_one", "fault", "fault", "fault", "cancel", "clock", "revoke"]
            + (["close"] if not closed_one else [])
        )
        if event == "expire_all":
            if expired_all:
                continue  # once: a request renews once, so two expiries under it may fail it
            expired_all = True
            sandbox.expire_tokens_at(sandbox.clock.now())
        elif event == "expire_one":
            if not chaotic:
                continue
            target = rng.choice(chaotic)
            token = await _current_token(run, target)
            if token is not None:
                sandbox.expire_token(token)
            event += f" {target.client_id}"
        elif event == "clock":
            sandbox.advance(timedelta(minutes=rng.randint(1, 3)))
        elif not chaotic:
            continue
        elif event == "fault":
            event += " " + _fault(sandbox, rng, rng.choice(chaotic))
        elif event == "revoke":
            target = rng.choice(chaotic)
            token = await _current_token(run, target)
            if token is not None:
                sandbox.revoke_token(token)
                target.revoked = True
                if rng.random() < 0.6:  # the operator hands a fresh token over
                    fresh = sandbox.create_token(client_id=target.client_id)
                    await rng.choice(run.partners).register(target.client_id, fresh)
                    target.revoked = False
            event += f" {target.client_id}"
        elif event == "cancel":
            running = [t for t, c in tasks.items() if not c.clean and not t.done()]
            if running:
                rng.choice(running).cancel()
        elif event == "close":
            target = rng.choice(chaotic)
            closed_one = target.closed = True
            for partner in run.partners:
                await partner.client(target.client_id).aclose()
            event += f" {target.client_id}"
        run.events.append(event)


def _fault(sandbox: Sandbox, rng: random.Random, target: Creditor) -> str:
    method, path = rng.choice(_ENDPOINTS)
    kind = rng.choice(["error", "error", "rate_limit", "drop", "commit_drop", "slow"])
    if kind == "commit_drop":
        method, path = "POST", "/invoice"
    if kind == "slow":  # renewed at once, answered late: a cancellation may strike meanwhile
        method, path = "GET", "/renew"
    rule = FaultRule(
        kind=kind,
        method=method,
        path=path,
        count=rng.randint(1, 3),
        status=rng.choice([401, 403, 500, 502, 503, 504]),
        retry_after=0.0,
        delay=0.05,
        client=target.client_id,
    )
    sandbox.faults.add(rule)
    return f"{kind}:{rule.status} {method} {path} x{rule.count} {target.client_id}"


async def _current_token(run: Run, creditor: Creditor) -> str | None:
    partner = run.partners[0]
    stored = await partner.token_store.load(partner.client(creditor.client_id).tokens.key)
    return None if stored is None else stored.token


def record_chaos_seed(seed: int) -> None:
    """Print the seed (shown with ``-s`` or on failure) so a run can be replayed."""
    print(f"partner chaos seed {seed} (replay: CHAOS_SEED={seed})")
