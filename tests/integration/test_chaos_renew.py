"""Chaos on ``GET /renew`` while a bulk upload and reads run: tokens expire, renewals fail.

Each seed draws a schedule: invoices (with repeats, ``tests/chaos.py``), random fault rules on
``GET /renew`` only (5xx, 429, ``drop`` (not applied: asked again, A108), ``slow`` under the
client's timeout (applied, answered late), ``late`` past it (applied, the answer lost: the old
token is revoked and the new one gone, a lock-out) and ``lost`` (applied, then the connection
reset: asked again, the revoked token is refused, a lock-out said for sure)), and per run a few
clock events (every token expired at once, or the shared clock moved into the advisory or mandatory
window of a token with a known expiry, or past it) and interruptions (the upload left, or
cancelled, after k results or loop turns; the reads cancelled). The client and the sandbox share
one manual clock, so a failed renewal's pause (30 s) passes only when the test moves it. An upload
with a JSONL journal runs with reads of payments and distributions beside it; runs resume from the
journal until every invoice is settled. After a lock-out, and only then, the test acts as the
operator: it issues a token and gives it to the client (``client.tokens.set_token``).

What must hold, from the sandbox's own record: every invoice stored exactly once with its content;
every failure a known one that names the endpoint called, caused by the renewal (A47, A20) or a
401; no renewal storm (a token asks ``/renew`` again only after the pause, at most one renewal per
expiry); after the faults stop the client works again with one token, every token before it
revoked; a lost renewal says so (unknown outcome, the way out).

A failure names its seed; ``CONFIRMA_CHAOS_SEEDS=N`` reruns it (``100-199`` for a range).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from confirma_async import (
    BatchResult,
    BatchStatus,
    ClientConfig,
    ConfirmaClient,
    ConfirmaError,
    DuplicateInputError,
    FileTokenStore,
)
from confirma_async.batch.invoices import _from_dict
from confirma_async.testing import FaultRule, ManualClock, Sandbox, SandboxConfig

from ..chaos import Chaos, Item, check_stored_exactly_once, draw, seeds
from .renew_chaos import RenewWatch, caused_by_renewal
from .test_batch_sandbox import batch_tasks, expire_tokens_now
from .test_chaos_batch import allowed_failure

CREATED, EXISTS, FAILED = BatchStatus.CREATED, BatchStatus.ALREADY_EXISTS, BatchStatus.FAILED
FIRST = 740_000_001
MAX_RUNS, CALM_AFTER = 10, 5  # runs after CALM_AFTER meet no fault, so every schedule ends
QUICK = [7, 9, 24, 30, 53]  # about 0.3 s each; every fault kind, lock-outs, cancellations
SHARED = [9, 24]
LIFETIME = timedelta(minutes=30)  # of a renewed token; the client's windows: 10 min, 1 min
PAUSE = timedelta(seconds=31)  # past the client's failed-renewal pause
STEPS = (PAUSE, timedelta(minutes=9), timedelta(minutes=21), timedelta(minutes=29, seconds=30))
CONFIG = dict(backoff_base=0.0001, backoff_cap=0.0005, retry_after_cap=0.001)
READ_TIMEOUT = 30.0  # the reads' own (a view's): only /renew misbehaves


RULE_KINDS = {"late": "slow", "lost": "commit_drop"}


def renew_faults(rng: random.Random) -> list[FaultRule]:
    """Random rules on ``GET /renew`` only; ``late`` and ``lost`` (lost answers) once a seed."""
    rules = []
    kinds = ("error", "rate_limit", "drop", "slow", "late", "lost")
    for kind in rng.sample(kinds, rng.randint(1, len(kinds))):
        rules.append(
            FaultRule(
                kind=RULE_KINDS.get(kind, kind),  # type: ignore[arg-type]
                method="GET",
                path="/renew",
                rate=rng.choice((0.2, 0.35, 0.5, 0.7)),
                count=1 if kind in ("late", "lost") else None,
                status=rng.choice((500, 502, 503, 504)),
                retry_after=0.0,
                delay=1.0 if kind == "late" else 0.05,  # the client gives up after 0.4 s
            )
        )
    return rules


class Renewals:
    """One seed's clients, sandbox and schedule, and what was seen of them.

    With two clients each uploads its share of the invoices (by number: repeats go together)
    with a journal of its own, and both share one ``FileTokenStore`` (A70, A77).
    """

    def __init__(self, seed: int, chaos: Chaos, sandbox: Sandbox, n: int, tmp: Path) -> None:
        self.chaos, self.sandbox = chaos, sandbox
        self.rng = random.Random(seed * 7919)
        self.why = f"{chaos.describe()} (test_chaos_renew, {n} client(s))"
        self.watch = RenewWatch(sandbox)
        self.held = [sandbox.client_token]
        """Every token the clients were given: the first, each renewed one, the operator's."""
        self.clients: list[ConfirmaClient] = []
        shares = [[i for i, item in enumerate(chaos.items) if key(item) % n == k] for k in range(n)]
        self.shares = [share for share in shares if share]
        """Per client, the input indexes of its invoices."""
        self.journals = [tmp / f"renew-{seed}-{k}.jsonl" for k in range(len(self.shares))]
        self.lockouts = self.failed = self.steps = 0
        self.last_requests = -1
        known = self.rng.random() < 0.5  # the first token's expiry is known: renewed ahead
        self.first_expiry = sandbox.clock.now() + LIFETIME if known else None
        self.config = ClientConfig(
            **CONFIG,  # type: ignore[arg-type]
            max_retries=self.rng.randint(0, 2),
            total_timeout=0.4,  # the renewals' own bound: trips on the ``slow`` faults
            pool_timeout=0.3,
            connect_timeout=0.3,
        )

    async def renewed(self, token: str, _: datetime | None) -> None:
        self.held.append(token)

    def check(self, result: BatchResult[Any, Any], share: list[int]) -> None:
        why, chaos = f"{self.why}: {result!r}", self.chaos
        stored = self.sandbox.state.accepted_count(result.key)
        if result.status is CREATED:
            assert stored == 1, why
            assert share[result.index] == chaos.first_index(result.key), why
        elif result.status is EXISTS:
            assert stored == 1, why
            assert _from_dict(result.item) == _from_dict(chaos.first[result.key]), why
        elif not isinstance(result.error, DuplicateInputError):
            self.failed += 1
            assert caused_by_renewal(result.error, "POST", "/invoice") or allowed_failure(
                result, 1
            ), why

    def step(self) -> None:
        """One clock event: every token expires now, or the shared clock moves on."""
        self.watch.event += 1
        self.steps += 1
        if self.steps == 1 or self.rng.random() < 0.4:
            expire_tokens_now(self.sandbox)
        else:
            self.sandbox.advance(self.rng.choice(STEPS))

    def calm(self) -> None:
        """The faults stop; the clock moves past the pause of a renewal that just failed."""
        self.sandbox.faults.clear()
        self.sandbox.advance(PAUSE)
        self.watch.event += 1

    async def read(self, client: ConfirmaClient, turns: int) -> None:
        """Reads beside the upload; a failure is one a renewal caused, or a 401.

        The reads have a generous timeout of their own (a view's; renewals keep the client's
        0.4 s, A44): only ``/renew`` misbehaves, and a read on a loaded machine must not time out.
        """
        today = self.sandbox.clock.now().date()
        client = client.with_options(timeout=READ_TIMEOUT)
        for n in range(turns):
            failure: ConfirmaError | None = None
            try:
                if n % 2:
                    await client.payments.payments_window(today, today)
                else:
                    await client.invoices.distribution_window(date(2025, 12, 1), today)
            except ConfirmaError as exc:
                failure = exc
            if failure is not None:
                path = "/invoice/distribution" if n % 2 == 0 else "/payments"
                assert caused_by_renewal(failure, "GET", path), f"{self.why}: {failure!r}"
                self.failed += 1
            await asyncio.sleep(0)  # a failure shared without I/O still lets the upload on

    async def run(self, calm: bool) -> list[BatchResult[Any, Any]] | None:
        """One run of the uploads with reads beside them; the results, or ``None`` if cut short."""
        rng, chaos = self.rng, self.chaos
        span = range(len(chaos.items) * 3 // 4)  # an event has results after it
        events = sorted(rng.sample(span, rng.randint(2, 5)))
        if calm:  # no more, unless every run before was cut short before its first event
            events = events[:1] if self.steps == 0 else []
        stop = None if calm or rng.random() < 0.5 else (rng.choice(("break", "cancel", "ticks")))
        stop_at = rng.randint(0, len(chaos.items))
        results: list[BatchResult[Any, Any]] = []
        per_client: list[list[BatchResult[Any, Any]]] = [[] for _ in self.shares]
        reached = asyncio.Event()
        batches = [
            client.batch(rng.choice((1, 4, 16)), journal=journal, max_attempts=1)
            for client, journal in zip(self.clients, self.journals, strict=False)
        ]

        async def upload(k: int) -> None:
            items = [chaos.items[i] for i in self.shares[k]]
            async with batches[k].submit_invoices(items) as stream:
                async for result in stream:
                    results.append(result)
                    per_client[k].append(result)
                    self.check(result, self.shares[k])
                    while events and len(results) > events[0]:
                        events.pop(0)
                        self.step()
                    if stop is not None and len(results) >= stop_at:
                        if stop == "break":
                            return
                        reached.set()

        uploads = [asyncio.create_task(upload(k)) for k in range(len(self.shares))]
        readers = [asyncio.create_task(self.read(c, rng.randint(4, 16))) for c in self.clients]
        if stop in ("cancel", "ticks"):
            if stop == "cancel":
                waiter = asyncio.create_task(reached.wait())
                await asyncio.wait([*uploads, waiter], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
            else:
                for _ in range(stop_at):  # event-loop turns, not time
                    await asyncio.sleep(0)
            for task in uploads + [r for r in readers if rng.random() < 0.5]:
                task.cancel()
        for running in uploads + readers:
            with contextlib.suppress(asyncio.CancelledError):
                await running
        assert batch_tasks() == [], self.why  # no worker outlives its stream
        self.last_requests = sum(batch.stats.requests for batch in batches)
        for share, mine in zip(self.shares, per_client, strict=True):
            if sorted(r.index for r in mine) != list(range(len(share))):
                return None
        return results

    async def between_runs(self) -> None:
        """Let renewals still on their way end (A100), then recover a lock-out as an operator."""
        for client in self.clients:
            renewing = client.tokens._renewing  # a renewal whose caller was cancelled
            await asyncio.gather(*renewing, return_exceptions=True)
        record = self.sandbox.state.tokens.get(self.held[-1])
        assert record is not None, self.why
        if record.revoked:  # its renewal was applied but the answer lost: nothing else recovers
            assert self.watch.applied, self.why
            assert self.watch.applied[-1][2] not in self.held, self.why
            self.lockouts += 1
            token = self.sandbox.create_token()
            await self.clients[0].tokens.set_token(token)  # stored: the others read it on a 401
            self.held.append(token)

    def settled(self, results: list[BatchResult[Any, Any]]) -> bool:
        first = self.chaos.first
        return all(
            r.ok
            for r in results
            if _from_dict(r.item) == _from_dict(first[r.key])  # the first or an exact repeat
        )

    def check_journals(self) -> None:
        last: dict[int, str] = {}
        for journal in self.journals:
            lines = [json.loads(line) for line in journal.read_text().splitlines()[1:]]
            last.update((line["key"], line["status"]) for line in lines)
            created = [line["key"] for line in lines if line["status"] == "CREATED"]
            assert len(created) == len(set(created)), self.why
        assert set(last) == set(self.chaos.first), self.why
        assert set(last.values()) <= {"CREATED", "ALREADY_EXISTS"}, self.why

    async def end(self) -> None:
        """No fault left: the clients work with one token; every earlier one is revoked."""
        today = self.sandbox.clock.now().date()
        for client in self.clients:
            await client.payments.payments_window(today, today)
            assert (await client.tokens.validate_token()).is_valid, self.why
        assert len({client.tokens.auth_header() for client in self.clients}) == 1, self.why
        tokens = self.sandbox.state.tokens
        for token in self.held[:-1]:
            record = tokens.get(token)
            assert record is not None, self.why
            assert record.revoked, self.why
        assert self.watch.applied, self.why
        assert self.watch.applied[-1][2] == self.held[-1] or self.lockouts, self.why
        self.watch.check_no_storm(self.why, clients=len(self.clients))
        lost = sum(1 for _, _, new in self.watch.applied if new not in self.held)
        assert self.lockouts <= lost, self.why  # the operator only stepped in after a lost answer


def key(item: Item) -> int:
    number: int = item["invoice"]["header"]["number"]
    return number


async def run_renewal_chaos(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clients: int = 1
) -> None:
    chaos = draw(seed, first_number=FIRST, size=(15, 40))
    config = SandboxConfig(seed=seed, distribution_failure_rate=0, token_lifetime=LIFETIME)
    sandbox = Sandbox(config, clock=ManualClock())
    for rule in renew_faults(random.Random(seed)):
        sandbox.faults.add(rule)
    schedule = Renewals(seed, chaos, sandbox, clients, tmp_path)
    shared = {} if clients == 1 else {"client_id": sandbox.client_id}
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(sandbox)
        for _ in range(clients):
            store = {} if clients == 1 else {"token_store": FileTokenStore(tmp_path / "t.json")}
            client = ConfirmaClient(
                api_key=sandbox.client_token,
                base_url=sandbox.base_url,
                config=schedule.config,
                clock=sandbox.clock.now,
                token_expires_at=schedule.first_expiry,
                on_token_renewed=schedule.renewed,
                **shared,  # type: ignore[arg-type]
                **store,  # type: ignore[arg-type]
            )
            schedule.clients.append(await stack.enter_async_context(client))
        schedule.watch.install(monkeypatch)
        for number in range(MAX_RUNS):
            if number == CALM_AFTER:
                schedule.calm()
            await schedule.between_runs()
            results = await schedule.run(calm=number >= CALM_AFTER)
            if results is not None and schedule.settled(results):
                break
        else:
            pytest.fail(f"{schedule.why}: not settled after {MAX_RUNS} runs")
        if sandbox.faults.rules:  # settled before the calm runs
            schedule.calm()
        await schedule.between_runs()
        last = await schedule.run(calm=True)  # nothing left: everything from the journal
        firsts = [r for r in last or () if _from_dict(r.item) == _from_dict(chaos.first[r.key])]
        assert last is not None, schedule.why
        assert all(r.from_journal or r.status is EXISTS for r in firsts), schedule.why
        assert schedule.last_requests == 0, schedule.why
        watch = schedule.watch
        print(
            f"{schedule.why}: events {watch.event}, /renew {watch.requests}, renewed "
            f"{len(watch.applied)}, failed {schedule.failed}, lock-outs {schedule.lockouts}, "
            f"faults {dict(sandbox.faults.fired)}"
        )
        check_stored_exactly_once(chaos, sandbox)
        schedule.check_journals()
        await schedule.end()


@pytest.mark.parametrize("seed", seeds(QUICK), ids=lambda s: f"seed_{s}")
async def test_renewal_faults_under_a_bulk_upload_store_every_invoice_once_without_a_storm(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run_renewal_chaos(seed, tmp_path, monkeypatch)


@pytest.mark.parametrize("seed", seeds(SHARED), ids=lambda s: f"seed_{s}")
async def test_two_clients_sharing_a_token_file_renew_once_per_expiry_through_renewal_faults(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run_renewal_chaos(seed, tmp_path, monkeypatch, clients=2)
