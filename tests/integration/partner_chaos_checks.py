"""A whole partner chaos run (see ``partner_chaos.py``) and its checks, from the sandbox state."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from confirma_async import ConfirmaError, ConfirmaPartner
from confirma_async.testing import ManualClock, Sandbox, SandboxConfig

from .conftest import TODAY
from .partner_chaos import (
    TAG,
    Captured,
    Progress,
    Run,
    captured_logs,
    onboard,
    owner_of,
    record_chaos_seed,
    run_chaos,
)

Replicas = Callable[
    [Sandbox, "Progress | None", int], AbstractAsyncContextManager[list[ConfirmaPartner]]
]
"""``replicas(sandbox, progress, n)``: ``n`` partners on one token store (the same store at each
call), counting finished requests in ``progress`` if given; closed when the block ends."""


def chaos_sandbox(seed: int) -> Sandbox:
    """A sandbox where invoices are delivered and paid within minutes (payments to list)."""
    config = SandboxConfig(
        seed=seed,
        distribution_failure_rate=0,
        distribution_delay=timedelta(minutes=1),
        debtor_payment_rate=1.0,
        debtor_payment_delay=timedelta(minutes=1),
        reject_duplicates=False,  # a second upload would be stored twice: counted, not hidden
    )
    return Sandbox(config, clock=ManualClock())


async def chaos_run(
    seed: int, replicas: Replicas, *, count: int, creditors: int, ops: int, events: int
) -> Run:
    """Onboard, run the chaos on ``count`` replicas, check; then a restarted one must work."""
    record_chaos_seed(seed)
    rng = random.Random(seed)
    progress = Progress()
    with captured_logs() as log:
        async with chaos_sandbox(seed) as sandbox:
            sandbox.record_requests()
            async with replicas(sandbox, progress, count) as partners:
                members = await onboard(partners[0], creditors, rng)
                run = Run(seed, sandbox, partners, members, progress)
                await run_chaos(run, ops_per_creditor=ops, chaos_events=events)
                await check_isolation(run, log)
                for partner in partners:
                    await partner.aclose()
                check_closed(run)
            async with replicas(sandbox, None, 1) as (restarted,):  # on the same token store
                await check_sound(run, restarted)
    return run


def issued_tokens(sandbox: Sandbox) -> list[str]:
    """Every token the sandbox ever issued (the partner's included)."""
    return list(sandbox.state.tokens._tokens)


def texts_of(value: object) -> Iterator[str]:
    """The str and repr of a result or an error, its arguments, notes and causes."""
    seen: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield repr(item)
        yield str(item)
        if isinstance(item, BaseException):
            yield repr(item.args)
            yield repr(getattr(item, "__notes__", ()))
            pending += [item.__cause__, item.__context__]
            pending.append(getattr(item, "error", None))


async def check_isolation(run: Run, log: Captured) -> None:
    """The assertions every run must pass (see the module doc)."""
    seed, sandbox, seen = run.seed, run.sandbox, run.seen
    why = f"seed {seed}, chaos {run.events}"
    by_id = {c.client_id: c for c in run.creditors}
    by_index = {c.index: c for c in run.creditors}

    # 1. Every tagged request carried a token of the creditor it was made for.
    received = sandbox.state.received
    assert received is not None
    crossed = [
        (r.endpoint, r.headers[TAG], r.client_id)
        for r in received
        if TAG in r.headers and r.headers[TAG] != r.client_id
    ]
    assert crossed == [], f"{why}: requests sent with another creditor's token: {crossed}"
    assert all(r.client_id in by_id for r in received if r.endpoint == "GET /renew"), why

    # 2. Every stored invoice is its own creditor's, stored once; every confirmed one is there.
    counts: dict[tuple[str, int], int] = {}
    for invoice in sandbox.state.iter_accepted():
        owner = by_index.get(owner_of(invoice.number) or 0)
        assert owner is not None, f"{why}: invoice {invoice.number} belongs to nobody"
        assert invoice.client_id == owner.client_id, (
            f"{why}: invoice {invoice.number} of {owner.client_id} stored under {invoice.client_id}"
        )
        assert invoice.number in owner.sent, why
        key = (invoice.client_id, invoice.number)
        counts[key] = counts.get(key, 0) + 1
    twice = {k: n for k, n in counts.items() if n > 1}
    assert twice == {}, f"{why}: invoices stored more than once: {twice}"
    for creditor in run.creditors:
        missing = {n for n in creditor.confirmed if (creditor.client_id, n) not in counts}
        assert missing == set(), f"{why}: confirmed but not stored: {missing}"

    for action in sandbox.state.actions():
        owner = by_index.get(owner_of(action.spec.invoice_number) or 0)
        assert owner is not None, why
        assert action.client_id == owner.client_id, f"{why}: an action crossed: {action}"

    # 3. No caller got another creditor's data.
    assert seen.wrong == [], f"{why}: {seen.wrong}"

    # 4. Clean creditors: everything succeeded, whatever renewals the others made.
    failed_clean = [(c.client_id, k, repr(e)) for c, k, e in seen.errors if c.clean]
    assert failed_clean == [], f"{why}: a clean creditor's work failed: {failed_clean}"
    for creditor in run.creditors:
        if creditor.clean:
            assert creditor.confirmed == creditor.sent, f"{why}: {creditor.client_id}"

    # 5. Tokens never crossed: each client holds, and the store keeps, a token of its own.
    tokens = sandbox.state.tokens
    for partner in run.partners:
        for creditor in run.creditors:
            client = partner.client(creditor.client_id)
            if client.tokens.version == 0:
                continue  # this replica never acted for the creditor: it holds no token
            held = tokens.get(client.tokens.auth_header()[1])
            assert held is not None, why
            assert held.client_id == creditor.client_id, (
                f"{why}: {creditor.client_id} holds a token of {held.client_id}"
            )
            stored = await partner.token_store.load(client.tokens.key)
            assert stored is not None, why
            record = tokens.get(stored.token)
            assert record is not None, why
            assert record.client_id == creditor.client_id, (
                f"{why}: the store keeps a token of {record.client_id} for {creditor.client_id}"
            )

    # 6. A closed client stays closed: nothing of it listens to the token store any more.
    for partner in run.partners:
        for creditor in run.creditors:
            key = partner.client(creditor.client_id).tokens.key
            if creditor.closed:
                assert not partner.token_store._listeners.get(key), f"{why}: {key} listened to"  # type: ignore[attr-defined]

    # 7. Errors are the library's, and no token shows in an error, a result or a log line.
    for creditor, kind, error in seen.errors:
        assert isinstance(error, ConfirmaError), f"{why}: {creditor.client_id} {kind}: {error!r}"
    secrets = issued_tokens(sandbox)
    texts = [
        *log.texts,
        *(t for _, _, e in seen.errors for t in texts_of(e)),
        *(t for r in seen.results for t in texts_of(r)),
        *(repr(p) for p in run.partners),
        *(repr(p.client(c.client_id).tokens) for p in run.partners for c in run.creditors),
    ]
    leaks = [t for t in texts for s in secrets if s in t]
    assert leaks == [], f"{why}: a token leaked: {leaks[:3]}"


async def check_sound(run: Run, partner: ConfirmaPartner) -> None:
    """A partner started afresh on the same token store can act for every creditor.

    Whatever was cancelled, faulted or closed, the store holds a working token of each creditor
    (a renewal cancelled half way must not lose the new token), unless the test revoked it and
    handed no fresh one over.
    """
    run.sandbox.faults.clear()
    live = [c for c in run.creditors if not c.revoked]
    outcomes = await asyncio.gather(
        *(partner.client(c.client_id).payments.payments_window(TODAY, TODAY) for c in live),
        return_exceptions=True,
    )
    broken = [
        (c.client_id, repr(o))
        for c, o in zip(live, outcomes, strict=True)
        if isinstance(o, Exception)
    ]
    assert broken == [], f"seed {run.seed}, chaos {run.events}: locked out: {broken}"


def check_closed(run: Run) -> None:
    """After the partners closed: sessions closed, no subscription or task left behind."""
    for partner in run.partners:
        assert partner.closed
        assert partner._owner._session is None, "the shared session was not closed"
        for client in partner.clients.values():
            assert client.closed
            assert client._session is None, "a partner client opened a session of its own"
            assert client.tokens._subscription is None, "a token subscription outlived close"
    others = [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task()
        and getattr(t.get_coro(), "__qualname__", "") != "RequestHandler.start"  # the sandbox's
    ]
    assert others == [], f"seed {run.seed}: tasks left running: {others}"
